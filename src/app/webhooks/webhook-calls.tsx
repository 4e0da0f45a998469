"use client";
import { useQuery } from "@tanstack/react-query";
import { errorSentence } from "../components/api-error.ts";
import { Badge } from "../components/badge.tsx";
import { DataTable, type Column } from "../components/data-table.tsx";
import { FormError } from "../components/form-field.tsx";
import { useTRPC } from "../trpc.ts";
import { formatWhen, statusTone } from "./format.ts";
import type { WebhookCallView } from "./types.ts";

const COLUMNS: Column<WebhookCallView>[] = [
  { key: "at", header: "Time", hideable: false, cell: (c) => <span className="whitespace-nowrap">{formatWhen(c.at)}</span> },
  {
    key: "status",
    header: "Status",
    cell: (c) => (
      <Badge tone={statusTone(c.status)} data-testid="call-status">
        {String(c.status)}
      </Badge>
    ),
  },
  { key: "duration", header: "Duration", cell: (c) => <span className="font-mono">{c.durationMs} ms</span> },
  { key: "signed", header: "Signed", cell: (c) => (c.signed ? "yes" : "no") },
  { key: "error", header: "Error", width: 220, cell: (c) => <span className="break-words text-xs">{c.error ?? ""}</span> },
];

/** The webhook's latest calls as the Core recorded them (refused ones too: a 401 is a bad or missing signature). */
export function WebhookCalls({ appId, webhookId, name }: { appId: string; webhookId: string; name: string }) {
  const trpc = useTRPC();
  const calls = useQuery(trpc.webhooks.calls.queryOptions({ appId, webhookId, limit: 50 }, { refetchInterval: 5000 }));
  if (calls.isError) return <FormError>{errorSentence(calls.error)}</FormError>;
  return <DataTable label={`Calls of ${name}`} columns={COLUMNS} rows={calls.data} loading={calls.isPending} rowKey={(c) => c.id} rowProps={() => ({ "data-testid": "call-row" })} empty="No call yet." />;
}
