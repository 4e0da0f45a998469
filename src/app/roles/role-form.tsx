"use client";
import { useState, type FormEvent } from "react";
import { Button, ErrorText, Field } from "../ui.tsx";

export interface RoleValues {
  name: string;
  description: string;
  inherits: string[];
  permissions: string[];
}

/** Groups keys by namespace: `admin:audit.read` → admin, `app:crm:*` → app:crm, `auth.invite` → auth. */
function namespaceOf(key: string): string {
  const parts = key.split(":");
  if (parts.length >= 3) return `${parts[0]}:${parts[1]}`;
  if (parts.length === 2) return parts[0]!;
  return key.split(".")[0] ?? key;
}

export function RoleForm({
  initial,
  roleNames,
  declared,
  onSubmit,
  onCancel,
  submitLabel,
}: {
  initial?: RoleValues;
  roleNames: string[];
  declared: { key: string; description: string }[];
  onSubmit: (v: RoleValues) => Promise<void>;
  onCancel: () => void;
  submitLabel: string;
}) {
  const [inherits, setInherits] = useState<string[]>(initial?.inherits ?? []);
  const [permissions, setPermissions] = useState<string[]>(initial?.permissions ?? []);
  const [custom, setCustom] = useState("");
  const [error, setError] = useState<string>();
  const toggle = (list: string[], set: (l: string[]) => void, value: string) =>
    set(list.includes(value) ? list.filter((v) => v !== value) : [...list, value].sort());

  const groups = new Map<string, { key: string; description: string }[]>();
  for (const d of declared) groups.set(namespaceOf(d.key), [...(groups.get(namespaceOf(d.key)) ?? []), d]);
  const customKeys = permissions.filter((p) => !declared.some((d) => d.key === p));

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setError(undefined);
    try {
      await onSubmit({
        name: initial?.name ?? String(form.get("name")),
        description: String(form.get("description") ?? ""),
        inherits,
        permissions,
      });
    } catch (err) {
      setError(err instanceof Error ? err.message : "could not save the role");
    }
  }

  return (
    <form onSubmit={submit} aria-label={initial ? `Edit role ${initial.name}` : "New role"} className="space-y-4 rounded-lg border border-slate-200 bg-white p-4">
      <div className="grid grid-cols-2 gap-3">
        {initial ? (
          <div className="text-sm">
            <span className="mb-1 block font-medium text-slate-700">Name</span>
            <span className="font-mono">{initial.name}</span>
          </div>
        ) : (
          <Field label="Name" name="name" required pattern="[a-z0-9_:.\-]{1,100}" placeholder="support_lead" />
        )}
        <Field label="Description" name="description" defaultValue={initial?.description ?? ""} />
      </div>

      <fieldset>
        <legend className="mb-1 text-sm font-medium text-slate-700">Inherits from</legend>
        <div className="flex flex-wrap gap-3">
          {roleNames
            .filter((r) => r !== initial?.name && r !== "admin")
            .map((r) => (
              <label key={r} className="flex items-center gap-1 text-sm">
                <input type="checkbox" checked={inherits.includes(r)} onChange={() => toggle(inherits, setInherits, r)} aria-label={`Inherit ${r}`} />
                <span className="font-mono">{r}</span>
              </label>
            ))}
        </div>
      </fieldset>

      <fieldset className="space-y-2">
        <legend className="mb-1 text-sm font-medium text-slate-700">Permissions</legend>
        {[...groups.entries()].map(([ns, keys]) => (
          <div key={ns} role="group" aria-label={`Namespace ${ns}`}>
            <div className="text-xs font-semibold uppercase tracking-wide text-slate-500">{ns}</div>
            <div className="flex flex-wrap gap-x-4 gap-y-1">
              {keys.map((k) => (
                <label key={k.key} className="flex items-center gap-1 text-sm" title={k.description}>
                  <input type="checkbox" checked={permissions.includes(k.key)} onChange={() => toggle(permissions, setPermissions, k.key)} aria-label={k.key} />
                  <span className="font-mono">{k.key}</span>
                </label>
              ))}
            </div>
          </div>
        ))}
        <div className="flex items-end gap-2">
          <label className="text-sm">
            <span className="mb-1 block text-slate-700">Other key (e.g. app:crm:* or app:crm:deals.read)</span>
            <input
              value={custom}
              onChange={(e) => setCustom(e.target.value.trim())}
              aria-label="Custom permission key"
              className="rounded-md border border-slate-300 px-3 py-1.5 font-mono"
            />
          </label>
          <Button
            type="button"
            variant="secondary"
            onClick={() => {
              if (custom && !permissions.includes(custom)) setPermissions([...permissions, custom].sort());
              setCustom("");
            }}
          >
            Add key
          </Button>
        </div>
        {customKeys.length > 0 && (
          <div className="flex flex-wrap gap-2">
            {customKeys.map((k) => (
              <span key={k} className="rounded bg-slate-100 px-2 py-0.5 font-mono text-xs">
                {k}{" "}
                <button type="button" aria-label={`Remove ${k}`} onClick={() => toggle(permissions, setPermissions, k)}>
                  ×
                </button>
              </span>
            ))}
          </div>
        )}
      </fieldset>
      <ErrorText>{error}</ErrorText>
      <div className="flex gap-2">
        <Button type="submit">{submitLabel}</Button>
        <Button type="button" variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
