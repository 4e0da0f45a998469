"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useSession } from "../auth/session.tsx";
import { Button } from "../components/button.tsx";
import { useToast } from "../components/toast.tsx";
import { useTRPC } from "../trpc.ts";
import { ConsoleError, type ConsoleFailure } from "./console-error.tsx";
import { downloadText, toCsv } from "./csv.ts";
import { QueryHistory } from "./query-history-list.tsx";
import { useQueryHistory } from "./query-history.ts";
import { ResultTable } from "./result-table.tsx";
import { SqlEditor } from "./sql-editor.tsx";

/** A read-only SQL console; the server runs each statement in a READ ONLY transaction. */
export function SqlConsole({ schema }: { schema: string | undefined }) {
  const trpc = useTRPC();
  const { state } = useSession();
  const toast = useToast();
  const history = useQueryHistory(state.status === "authenticated" ? state.user.id : undefined);
  const run = useMutation(trpc.database.query.mutationOptions({ onSuccess: (_data, input) => history.remember(input.sql) }));
  const [sql, setSql] = useState("");
  // The same query the schema's table list makes, so completion costs no extra request.
  const tableList = useQuery(trpc.database.tables.queryOptions({ schema: schema ?? "" }, { enabled: schema !== undefined }));
  const tables = useMemo(
    () => (schema && tableList.data ? Object.fromEntries(tableList.data.map((t) => [t.table_name, t.columns.map((c) => c.column_name)])) : undefined),
    [schema, tableList.data],
  );

  function submit() {
    if (!sql.trim() || run.isPending) return;
    run.mutate({ sql, schema });
  }

  const failure: ConsoleFailure | null = run.error
    ? {
        message: run.error.data?.code === "FORBIDDEN" ? "Running SQL requires admin:db.query." : run.error.message,
        position: run.error.data?.position,
        hint: run.error.data?.hint,
        detail: run.error.data?.detail,
      }
    : null;
  const result = run.data && !run.isError ? run.data : undefined;

  return (
    <section aria-label="SQL console" className="min-w-0 space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-700 dark:bg-slate-900">
      <h2 className="font-semibold">SQL console</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
        className="space-y-2"
      >
        <SqlEditor
          value={sql}
          onChange={setSql}
          onRun={submit}
          tables={tables}
          error={failure?.position !== undefined ? { position: failure.position, message: failure.message } : null}
        />
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" disabled={!sql.trim() || run.isPending}>
            {run.isPending ? "Running…" : "Run"}
          </Button>
          <Button
            type="button"
            variant="secondary"
            disabledReason={result ? undefined : "Run a query first."}
            onClick={() => {
              if (!result) return;
              downloadText(`query-${new Date().toISOString().replace(/[:.]/g, "-")}.csv`, toCsv(result.columns, result.rows));
              toast.success(`Exported ${result.row_count} row${result.row_count === 1 ? "" : "s"} as CSV`);
            }}
          >
            Export CSV
          </Button>
          <span className="text-xs text-slate-600 dark:text-slate-400">
            {schema ? `Searches ${schema}, then public.` : "Searches the default search_path."} Ctrl+Enter (⌘+Enter) runs.
          </span>
        </div>
      </form>
      {failure && <ConsoleError failure={failure} sql={run.variables?.sql ?? sql} />}
      {result && <ResultTable result={result} />}
      <QueryHistory
        entries={history.entries}
        onRestore={(text) => {
          setSql(text);
          run.reset();
        }}
        onClear={history.clear}
      />
    </section>
  );
}
