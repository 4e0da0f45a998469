"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { errorSentence } from "../components/api-error.ts";
import { Button } from "../components/button.tsx";
import { DataTable, type Column } from "../components/data-table.tsx";
import { FormError } from "../components/form-field.tsx";
import { PageHeader } from "../components/page-header.tsx";
import { useTRPC } from "../trpc.ts";
import { AuditFilters } from "./audit-filters.tsx";
import { RecordDiff } from "./record-diff.tsx";

const PAGE = 50;

interface AuditRow {
  id: string;
  changed_at: string;
  table_schema: string;
  table_name: string;
  operation: string;
  record_id: string | null;
  actor_uid: string | null;
  old_record?: unknown;
  new_record?: unknown;
}

const WRAP = "break-words [overflow-wrap:anywhere]";

function columns(actorOf: (row: AuditRow) => string): Column<AuditRow>[] {
  return [
    { key: "id", header: "#", width: 64, cell: (r) => <span className="font-mono text-xs">{r.id}</span> },
    { key: "when", header: "When", width: 120, cell: (r) => <time dateTime={r.changed_at}>{new Date(r.changed_at).toLocaleString()}</time> },
    { key: "table", header: "Table", cell: (r) => <span className={`font-mono text-xs ${WRAP}`}>{`${r.table_schema}.${r.table_name}`}</span> },
    { key: "action", header: "Action", cell: (r) => r.operation },
    { key: "target", header: "Target", cell: (r) => <span className={`font-mono text-xs ${WRAP}`}>{r.record_id}</span> },
    { key: "actor", header: "Actor", cell: (r) => <span className={WRAP}>{actorOf(r)}</span> },
  ];
}

/**
 * The audit viewer: filters (action, actor, target, table), pages of changes newest first (the `before` cursor
 * is the last id of the page), the before/after of one, and the hash chain's status.
 */
export default function AuditPage() {
  const trpc = useTRPC();
  const [filters, setFilters] = useState<Record<string, string>>({});
  const [cursor, setCursor] = useState<string[]>([]);
  const [open, setOpen] = useState<string>();
  const params = { ...filters, limit: String(PAGE), ...(cursor.length ? { before: cursor[cursor.length - 1]! } : {}) };
  const rows = useQuery(trpc.audit.list.queryOptions(params));
  const chain = useQuery(trpc.audit.verify.queryOptions());
  const users = useQuery(trpc.users.list.queryOptions());
  const emailOf = new Map((users.data ?? []).map((u) => [u.id, u.email]));
  const actorOf = (r: AuditRow) => (r.actor_uid ? (emailOf.get(r.actor_uid) ?? r.actor_uid) : "system");

  const header = (
    <PageHeader
      title="Audit log"
      breadcrumbs={[{ label: "Studio", href: "/" }, { label: "Audit" }]}
      description="Every change to governed data, roles, users, sessions, secrets (names only) and apps, with who made it. Rows are hash-chained."
      actions={
        <div
          data-testid="chain-status"
          className={`rounded-md px-3 py-1.5 text-sm ${chain.data?.ok === false ? "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200" : "bg-emerald-50 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200"}`}
        >
          {!chain.data
            ? "Checking chain…"
            : chain.data.ok
              ? `Chain intact (${chain.data.checked} rows)`
              : `Chain broken at row ${chain.data.firstBroken?.id}: ${chain.data.firstBroken?.reason}`}
        </div>
      }
    />
  );

  if (rows.isError) {
    return (
      <section className="min-w-0 space-y-5">
        {header}
        <FormError>{rows.error.data?.code === "FORBIDDEN" ? "Reading the audit log requires admin:audit.read." : errorSentence(rows.error)}</FormError>
      </section>
    );
  }
  return (
    <section className="min-w-0 space-y-5">
      {header}
      <AuditFilters
        users={users.data ?? []}
        onApply={(next) => {
          setFilters(next);
          setCursor([]);
          setOpen(undefined);
        }}
      />
      <DataTable
        label="Audit entries"
        columns={columns(actorOf)}
        rows={rows.data}
        loading={rows.isPending}
        rowKey={(r) => r.id}
        rowProps={() => ({ "data-testid": "audit-row" })}
        empty="No audit entries match."
        actions={(r) => (
          <Button type="button" variant="secondary" aria-expanded={open === r.id} aria-label={`Details of entry ${r.id}`} onClick={() => setOpen(open === r.id ? undefined : r.id)}>
            {open === r.id ? "Hide" : "Details"}
          </Button>
        )}
        expanded={(r) => (open === r.id ? <RecordDiff before={r.old_record} after={r.new_record} /> : undefined)}
      />
      <div className="flex gap-2">
        <Button type="button" variant="secondary" disabled={cursor.length === 0} onClick={() => setCursor(cursor.slice(0, -1))}>
          Newer
        </Button>
        <Button type="button" variant="secondary" disabled={(rows.data?.length ?? 0) < PAGE} onClick={() => rows.data && setCursor([...cursor, rows.data[rows.data.length - 1]!.id])}>
          Older
        </Button>
      </div>
    </section>
  );
}
