"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "./trpc.ts";

function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  const s = seconds % 60;
  return [d ? `${d}d` : "", h ? `${h}h` : "", m ? `${m}m` : "", `${s}s`].filter(Boolean).join(" ");
}

function Field({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd data-testid={testId} className="mt-1 text-lg font-semibold">
        {value}
      </dd>
    </div>
  );
}

/** The Core's live status, polled over tRPC. */
export function StatusCard() {
  const trpc = useTRPC();
  const overview = useQuery(trpc.system.overview.queryOptions(undefined, { refetchInterval: 5_000 }));

  if (overview.isPending) return <p className="text-slate-500">Loading status…</p>;
  if (overview.isError) {
    return (
      <p role="alert" className="rounded-md bg-red-50 p-4 text-red-700">
        The Core did not answer: {overview.error.message}
      </p>
    );
  }
  const o = overview.data;
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
    </dl>
  );
}
