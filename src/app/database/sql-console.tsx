"use client";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "../trpc.ts";
import { Button, ErrorText } from "../ui.tsx";
import { ResultTable } from "./result-table.tsx";

/** A read-only SQL console; the server runs each statement in a READ ONLY transaction. */
export function SqlConsole({ schema }: { schema: string | undefined }) {
  const trpc = useTRPC();
  const run = useMutation(trpc.database.query.mutationOptions());
  const [sql, setSql] = useState("");

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    run.mutate({ sql, schema });
  }

  return (
    <section aria-label="SQL console" className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <h2 className="font-semibold">SQL console</h2>
      <form onSubmit={submit} className="space-y-2">
        <label className="block text-sm">
          <span className="mb-1 block font-medium text-slate-700">SQL</span>
          <textarea
            value={sql}
            onChange={(e) => setSql(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) e.currentTarget.form?.requestSubmit();
            }}
            rows={5}
            spellCheck={false}
            placeholder="SELECT * FROM …"
            className="w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-sm shadow-sm focus:border-brand-500 focus:outline-none focus:ring-1 focus:ring-brand-500"
          />
        </label>
        <div className="flex items-center gap-3">
          <Button type="submit" disabled={!sql.trim() || run.isPending}>
            {run.isPending ? "Running…" : "Run"}
          </Button>
          <span className="text-xs text-slate-500">{schema ? `Searches ${schema}, then public.` : "Searches the default search_path."} Ctrl+Enter runs.</span>
        </div>
      </form>
      {run.isError && <ErrorText>{run.error.data?.code === "FORBIDDEN" ? "Running SQL requires admin:db.query." : run.error.message}</ErrorText>}
      {run.data && !run.isError && <ResultTable result={run.data} />}
    </section>
  );
}
