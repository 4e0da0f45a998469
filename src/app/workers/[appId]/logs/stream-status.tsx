"use client";
import { useEffect, useState } from "react";
import { Badge } from "../../../components/badge.tsx";
import type { StreamStatus } from "../../use-log-stream.ts";

/** Where the stream stands, with a live countdown while it waits to reconnect. */
export function StreamStatusBadge({ status }: { status: StreamStatus }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (status.kind !== "waiting") return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [status.kind]);

  let badge;
  if (status.kind === "live") badge = <Badge tone="success">live</Badge>;
  else if (status.kind === "connecting") badge = <Badge tone="info">connecting…</Badge>;
  else if (status.kind === "waiting") badge = <Badge tone="warning">reconnecting in {Math.max(0, Math.ceil((status.retryAt - now) / 1000))} s</Badge>;
  else badge = <Badge tone="danger">stopped</Badge>;
  return (
    <p data-testid="stream-status" data-status={status.kind} className="flex items-center gap-2 text-sm text-slate-700 dark:text-slate-300">
      <span>Stream</span>
      {badge}
      {status.kind === "waiting" && <span className="text-slate-600 dark:text-slate-400">{status.reason}</span>}
    </p>
  );
}
