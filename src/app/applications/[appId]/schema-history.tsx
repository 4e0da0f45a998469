"use client";
import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { errorSentence } from "../../components/api-error.ts";
import { FormError } from "../../components/form-field.tsx";
import { usePermissions } from "../../components/permissions.tsx";
import { useTRPC } from "../../trpc.ts";
import { historyKey, INSTALL } from "../app-permissions.ts";
import { SchemaChanges } from "../schema-changes.tsx";

/** Every schema change installs of this app applied, newest first, with who applied it and the SQL it ran. */
export function SchemaHistory({ appId }: { appId: string }) {
  const trpc = useTRPC();
  const { ready, can } = usePermissions();
  // Not asked for at all without the key: a section that only says 403 is a surprise, a sentence is not.
  const allowed = can(INSTALL) || can(historyKey(appId));
  const history = useQuery(trpc.apps.history.queryOptions({ id: appId }, { enabled: allowed }));
  const headingId = useId();

  return (
    <section aria-labelledby={headingId} className="min-w-0 space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-700 dark:bg-slate-900">
      <h2 id={headingId} className="text-lg font-semibold">
        Schema history
      </h2>
      {ready && !allowed && <p className="text-sm text-slate-600 dark:text-slate-400">Reading the schema history requires the permission {INSTALL} or {historyKey(appId)}.</p>}
      {history.isError && <FormError>{errorSentence(history.error)}</FormError>}
      {history.data?.length === 0 && <p className="text-sm text-slate-600 dark:text-slate-400">No schema changes recorded.</p>}
      <ol className="space-y-4">
        {history.data?.map((entry) => (
          <li key={entry.id} data-testid="history-entry" className="min-w-0 space-y-2 border-t border-slate-100 pt-3 first:border-t-0 first:pt-0 dark:border-slate-800">
            <p className="text-sm">
              <time dateTime={entry.applied_at} className="font-medium">
                {new Date(entry.applied_at).toLocaleString()}
              </time>
              <span className="text-slate-600 dark:text-slate-400"> by </span>
              <span>{entry.actor_email ?? entry.actor_uid ?? "system"}</span>
              {entry.app_version && <span className="text-slate-600 dark:text-slate-400"> · version {entry.app_version}</span>}
            </p>
            <SchemaChanges changes={entry.changes} label={`Changes applied ${entry.applied_at}`} applied />
            <details className="text-sm">
              <summary className="cursor-pointer text-slate-600 dark:text-slate-400">{entry.statements.length} SQL statement(s)</summary>
              <pre className="mt-1 overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100 dark:bg-slate-950">{entry.statements.join(";\n")}</pre>
            </details>
          </li>
        ))}
      </ol>
    </section>
  );
}
