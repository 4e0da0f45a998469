"use client";
import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { useTRPC } from "../../trpc.ts";
import { ErrorText } from "../../ui.tsx";
import { SchemaChanges } from "../schema-changes.tsx";

/** Every schema change installs of this app applied, newest first, with who applied it and the SQL it ran. */
export function SchemaHistory({ appId }: { appId: string }) {
  const trpc = useTRPC();
  const history = useQuery(trpc.apps.history.queryOptions({ id: appId }));
  const headingId = useId();

  return (
    <section aria-labelledby={headingId} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <h2 id={headingId} className="text-lg font-semibold">
        Schema history
      </h2>
      {history.isError && <ErrorText>{history.error.message}</ErrorText>}
      {history.data?.length === 0 && <p className="text-sm text-slate-500">No schema changes recorded.</p>}
      <ol className="space-y-4">
        {history.data?.map((entry) => (
          <li key={entry.id} data-testid="history-entry" className="space-y-2 border-t border-slate-100 pt-3 first:border-t-0 first:pt-0">
            <p className="text-sm">
              <time dateTime={entry.applied_at} className="font-medium">
                {new Date(entry.applied_at).toLocaleString()}
              </time>
              <span className="text-slate-500"> by </span>
              <span>{entry.actor_email ?? entry.actor_uid ?? "system"}</span>
              {entry.app_version && <span className="text-slate-500"> · version {entry.app_version}</span>}
            </p>
            <SchemaChanges changes={entry.changes} label={`Changes applied ${entry.applied_at}`} applied />
            <details className="text-sm">
              <summary className="cursor-pointer text-slate-600">{entry.statements.length} SQL statement(s)</summary>
              <pre className="mt-1 overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100">{entry.statements.join(";\n")}</pre>
            </details>
          </li>
        ))}
      </ol>
    </section>
  );
}
