"use client";
import { useId, type FormEvent } from "react";
import { ADMIN_ACTIONS, DATA_OPERATIONS } from "../../server/governance/admin-actions.ts";
import { Button } from "../components/button.tsx";
import { FormField } from "../components/form-field.tsx";

/** The audit query's parameters this form sets (GET /audit's names). */
const KEYS = ["table_schema", "table_name", "operation", "record_id", "actor_uid"] as const;
const SELECT =
  "w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm focus:border-brand-500 focus:ring-1 focus:ring-brand-500 focus:outline-none dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100";

/** Filters by where (schema, table, record), what (action) and who (actor); applied together on submit. */
export function AuditFilters({ users, onApply }: { users: { id: string; email: string }[]; onApply: (filters: Record<string, string>) => void }) {
  const actionId = useId();
  const actorId = useId();
  function apply(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next: Record<string, string> = {};
    for (const key of KEYS) {
      const v = String(form.get(key) ?? "").trim();
      if (v) next[key] = v;
    }
    onApply(next);
  }

  return (
    <form
      noValidate
      onSubmit={apply}
      onReset={() => onApply({})}
      aria-label="Audit filters"
      className="grid grid-cols-[repeat(auto-fill,minmax(11rem,1fr))] items-end gap-3 rounded-lg border border-slate-200 bg-white p-3 text-sm dark:border-slate-700 dark:bg-slate-900"
    >
      <FormField label="Schema / app" name="table_schema" autoComplete="off" />
      <FormField label="Table / entity" name="table_name" autoComplete="off" />
      <FormField label="Target / record id" name="record_id" autoComplete="off" />
      <div className="min-w-0">
        <label htmlFor={actionId} className="mb-1 block font-medium text-slate-700 dark:text-slate-200">
          Action
        </label>
        <select id={actionId} name="operation" className={SELECT}>
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
      </div>
      <div className="min-w-0">
        <label htmlFor={actorId} className="mb-1 block font-medium text-slate-700 dark:text-slate-200">
          Actor
        </label>
        <select id={actorId} name="actor_uid" className={SELECT}>
          <option value="">anyone</option>
          {users.map((u) => (
            <option key={u.id} value={u.id}>
              {u.email}
            </option>
          ))}
        </select>
      </div>
      <div className="flex gap-2">
        <Button type="submit">Apply</Button>
        <Button type="reset" variant="secondary">
          Clear
        </Button>
      </div>
    </form>
  );
}
