"use client";
import { useQuery } from "@tanstack/react-query";
import { errorSentence } from "./components/api-error.ts";
import { FormError } from "./components/form-field.tsx";
import { ADMIN, useCan } from "./components/permissions.tsx";
import { useTRPC } from "./trpc.ts";

function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  const s = seconds % 60;
  return [d ? `${d}d` : "", h ? `${h}h` : "", m ? `${m}m` : "", `${s}s`].filter(Boolean).join(" ");
}

function Field({ label, value, testId, mono, wide }: { label: string; value: string; testId: string; mono?: boolean; wide?: boolean }) {
  return (
    <div className={`min-w-0 ${wide ? "sm:col-span-2 lg:col-span-3" : ""} rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-700 dark:bg-slate-900`}>
      <dt className="text-xs font-medium tracking-wide text-slate-600 uppercase dark:text-slate-400">{label}</dt>
      <dd data-testid={testId} className={`mt-1 text-lg font-semibold break-words ${mono ? "font-mono text-base" : ""}`}>
        {value}
      </dd>
    </div>
  );
}

/**
 * The Core's live status, polled over tRPC. Where PostgreSQL listens and keeps its files is for
 * administrators only: the server leaves those fields null for anyone else, and the card omits them rather
 * than showing empty boxes.
 */
export function StatusCard() {
  const trpc = useTRPC();
  const isAdmin = useCan(ADMIN);
  const overview = useQuery(trpc.system.overview.queryOptions(undefined, { refetchInterval: 5_000 }));
  const status = useQuery(trpc.system.status.queryOptions(undefined, { enabled: isAdmin, staleTime: 60_000 }));

  if (overview.isPending) return <p className="text-slate-600 dark:text-slate-400">Loading status…</p>;
  if (overview.isError) return <FormError>The Core did not answer: {errorSentence(overview.error)}</FormError>;
  const o = overview.data;
  const pg = isAdmin ? status.data?.postgres : undefined;
  return (
    <dl className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4">
      <Field label="Version" value={o.version} testId="status-version" />
      <Field label="State" value={o.state} testId="status-state" />
      <Field
        label="Database"
        value={`${o.database.reachable ? "reachable" : "unreachable"} · PostgreSQL ${o.database.serverVersion}${o.database.embedded ? " (embedded)" : ""}`}
        testId="status-database"
      />
      <Field label="Uptime" value={formatUptime(o.uptimeSeconds)} testId="status-uptime" />
      {pg?.port != null && <Field label="PostgreSQL port" value={String(pg.port)} testId="status-postgres-port" mono />}
      {pg?.data_dir != null && <Field label="Data directory" value={pg.data_dir} testId="status-data-dir" mono wide />}
    </dl>
  );
}
