"use client";
import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ADMIN_ACTIONS, DATA_OPERATIONS } from "../../server/governance/admin-actions.ts";
import { useTRPC } from "../trpc.ts";
import { Button, ErrorText, TableHead } from "../ui.tsx";
import { RecordDiff } from "./record-diff.tsx";

const PAGE = 50;

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

  function apply(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next: Record<string, string> = {};
    for (const key of ["table_schema", "table_name", "operation", "record_id", "actor_uid"]) {
      const v = String(form.get(key) ?? "").trim();
      if (v) next[key] = v;
    }
    setFilters(next);
    setCursor([]);
    setOpen(undefined);
  }

  if (rows.isError) return <ErrorText>{rows.error.data?.code === "FORBIDDEN" ? "Reading the audit log requires admin:audit.read." : rows.error.message}</ErrorText>;
  return (
    <section className="space-y-5">
      <header className="flex items-end justify-between">
        <div>
          <h1 className="text-2xl font-bold tracking-tight">Audit log</h1>
          <p className="text-sm text-slate-500">
            Every change to governed data, roles, users, sessions, secrets (names only) and apps, with who made it. Rows are hash-chained.
          </p>
        </div>
        <div data-testid="chain-status" className={`rounded-md px-3 py-1.5 text-sm ${chain.data?.ok === false ? "bg-red-100 text-red-800" : "bg-emerald-50 text-emerald-800"}`}>
          {!chain.data
            ? "Checking chain…"
            : chain.data.ok
              ? `Chain intact (${chain.data.checked} rows)`
              : `Chain broken at row ${chain.data.firstBroken?.id}: ${chain.data.firstBroken?.reason}`}
        </div>
      </header>

      <form onSubmit={apply} aria-label="Audit filters" className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-3 text-sm">
        {[
          ["table_schema", "Schema / app"],
          ["table_name", "Table / entity"],
          ["record_id", "Target / record id"],
        ].map(([name, label]) => (
          <label key={name}>
            <span className="mb-1 block text-slate-700">{label}</span>
            <input name={name} aria-label={label} className="rounded-md border border-slate-300 px-2 py-1" />
          </label>
        ))}
        <label>
          <span className="mb-1 block text-slate-700">Action</span>
          <select name="operation" aria-label="Action" className="rounded-md border border-slate-300 px-2 py-1">
            <option value="">any</option>
            <optgroup label="Administrative">
              {ADMIN_ACTIONS.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </optgroup>
            <optgroup label="Data and roles">
              {DATA_OPERATIONS.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </optgroup>
          </select>
        </label>
        <label>
          <span className="mb-1 block text-slate-700">Actor</span>
          <select name="actor_uid" aria-label="Actor" className="rounded-md border border-slate-300 px-2 py-1">
            <option value="">anyone</option>
            {(users.data ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {u.email}
              </option>
            ))}
          </select>
        </label>
        <Button type="submit">Apply</Button>
      </form>

      {!rows.data ? (
        <p className="text-slate-500">Loading…</p>
      ) : rows.data.length === 0 ? (
        <p className="text-slate-500">No audit entries match.</p>
      ) : (
        <table className="w-full border-collapse rounded-lg bg-white text-sm shadow-sm">
          <TableHead labels={["#", "When", "Table", "Action", "Target", "Actor"]} className="bg-slate-100 text-left text-xs uppercase tracking-wide text-slate-500" cellClassName="px-3 py-2" />
          <tbody>
            {rows.data.map((r) => (
              <FragmentRow key={r.id} open={open === r.id} onToggle={() => setOpen(open === r.id ? undefined : r.id)} row={r} actor={r.actor_uid ? (emailOf.get(r.actor_uid) ?? r.actor_uid) : "system"} />
            ))}
          </tbody>
        </table>
      )}
      <div className="flex gap-2">
        <Button variant="secondary" disabled={cursor.length === 0} onClick={() => setCursor(cursor.slice(0, -1))}>
          Newer
        </Button>
        <Button variant="secondary" disabled={(rows.data?.length ?? 0) < PAGE} onClick={() => rows.data && setCursor([...cursor, rows.data[rows.data.length - 1]!.id])}>
          Older
        </Button>
      </div>
    </section>
  );
}

function FragmentRow({ row, actor, open, onToggle }: { row: { id: string; changed_at: string; table_schema: string; table_name: string; operation: string; record_id: string | null; old_record?: unknown; new_record?: unknown }; actor: string; open: boolean; onToggle: () => void }) {
  return (
    <>
      <tr data-testid="audit-row" onClick={onToggle} className="cursor-pointer border-t border-slate-100 hover:bg-slate-50">
        <td className="px-3 py-2 font-mono text-xs">{row.id}</td>
        <td className="px-3 py-2">{new Date(row.changed_at).toLocaleString()}</td>
        <td className="px-3 py-2 font-mono">
          {row.table_schema}.{row.table_name}
        </td>
        <td className="px-3 py-2">{row.operation}</td>
        <td className="max-w-xs truncate px-3 py-2 font-mono text-xs">{row.record_id}</td>
        <td className="px-3 py-2">{actor}</td>
      </tr>
      {open && (
        <tr className="bg-slate-50">
          <td colSpan={6} className="px-3 py-2">
            <RecordDiff before={row.old_record} after={row.new_record} />
          </td>
        </tr>
      )}
    </>
  );
}
