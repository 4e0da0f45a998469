"use client";
import { useState, type FormEvent } from "react";
import { sentence } from "../components/api-error.ts";
import { Button } from "../components/button.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { useFormErrors } from "../components/use-form-errors.ts";

const FIELDS = ["name", "description", "inherits", "permissions"] as const;

/**
 * The Core's permission key rule (`permissionKey` in src/server/governance/schema.ts), checked before sending.
 * Not imported: zod probes `Function("")` when a schema module loads, which the Studio's CSP reports as an
 * eval violation. The server still validates and its answer is mapped onto the same field.
 */
const KEY_RULE = /^[a-z0-9_:.*]{1,200}$/;
const KEY_RULE_MESSAGE = "permission keys use only a-z, 0-9 and _ : . *";

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
  const { errors, fail, set, clear } = useFormErrors(FIELDS);
  const toggle = (list: string[], setList: (l: string[]) => void, value: string, field: string) => {
    clear(field);
    setList(list.includes(value) ? list.filter((v) => v !== value) : [...list, value].sort());
  };

  /** Checked here with the Core's own rule, so a bad key is named before anything is sent. */
  function addCustom() {
    const key = custom.trim();
    if (!key) return;
    if (!KEY_RULE.test(key)) {
      set("permissions", sentence(KEY_RULE_MESSAGE));
      return;
    }
    if (!permissions.includes(key)) setPermissions([...permissions, key].sort());
    setCustom("");
  }

  const groups = new Map<string, { key: string; description: string }[]>();
  for (const d of declared) groups.set(namespaceOf(d.key), [...(groups.get(namespaceOf(d.key)) ?? []), d]);
  const customKeys = permissions.filter((p) => !declared.some((d) => d.key === p));

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    clear();
    try {
      await onSubmit({
        name: initial?.name ?? String(form.get("name")),
        description: String(form.get("description") ?? ""),
        inherits,
        permissions,
      });
    } catch (err) {
      fail(err);
    }
  }

  return (
    <form noValidate onSubmit={submit} aria-label={initial ? `Edit role ${initial.name}` : "New role"} className="space-y-4">
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        {initial ? (
          <div className="text-sm">
            <span className="mb-1 block font-medium text-slate-700 dark:text-slate-200">Name</span>
            <span className="font-mono">{initial.name}</span>
          </div>
        ) : (
          <FormField label="Name" name="name" required placeholder="support_lead" error={errors.fields.name} onChange={() => clear("name")} hint="a-z, 0-9 and _ : . -" />
        )}
        <FormField label="Description" name="description" defaultValue={initial?.description ?? ""} error={errors.fields.description} onChange={() => clear("description")} />
      </div>

      <fieldset>
        <legend className="mb-1 text-sm font-medium text-slate-700 dark:text-slate-200">Inherits from</legend>
        <div className="flex flex-wrap gap-3">
          {roleNames
            .filter((r) => r !== initial?.name && r !== "admin")
            .map((r) => (
              <label key={r} className="flex items-center gap-1 text-sm">
                <input type="checkbox" checked={inherits.includes(r)} onChange={() => toggle(inherits, setInherits, r, "inherits")} aria-label={`Inherit ${r}`} />
                <span className="font-mono">{r}</span>
              </label>
            ))}
        </div>
        {errors.fields.inherits && <p className="mt-1 text-sm text-red-700 dark:text-red-400">{errors.fields.inherits}</p>}
      </fieldset>

      <fieldset className="space-y-2">
        <legend className="mb-1 text-sm font-medium text-slate-700 dark:text-slate-200">Permissions</legend>
        {[...groups.entries()].map(([ns, keys]) => (
          <div key={ns} role="group" aria-label={`Namespace ${ns}`}>
            <div className="text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">{ns}</div>
            <div className="flex flex-wrap gap-x-4 gap-y-1">
              {keys.map((k) => (
                <label key={k.key} className="flex items-center gap-1 text-sm" title={k.description}>
                  <input type="checkbox" checked={permissions.includes(k.key)} onChange={() => toggle(permissions, setPermissions, k.key, "permissions")} aria-label={k.key} />
                  <span className="font-mono">{k.key}</span>
                </label>
              ))}
            </div>
          </div>
        ))}
        <div className="flex items-start gap-2">
          <div className="min-w-0 flex-1">
            <FormField
              label="Other key (e.g. app:crm:* or app:crm:deals.read)"
              aria-label="Custom permission key"
              value={custom}
              className="font-mono"
              error={errors.fields.permissions}
              onChange={(e) => {
                setCustom(e.target.value);
                clear("permissions");
              }}
              onKeyDown={(e) => {
                // Enter adds the key rather than submitting the whole role.
                if (e.key === "Enter") {
                  e.preventDefault();
                  addCustom();
                }
              }}
            />
          </div>
          <Button type="button" variant="secondary" className="mt-6" onClick={addCustom}>
            Add key
          </Button>
        </div>
        {customKeys.length > 0 && (
          <div className="flex flex-wrap gap-2">
            {customKeys.map((k) => (
              <span key={k} className="rounded bg-slate-100 px-2 py-0.5 font-mono text-xs dark:bg-slate-800">
                {k}{" "}
                <button type="button" aria-label={`Remove ${k}`} onClick={() => toggle(permissions, setPermissions, k, "permissions")}>
                  ×
                </button>
              </span>
            ))}
          </div>
        )}
      </fieldset>
      <FormError>{errors.form}</FormError>
      <div className="flex gap-2">
        <Button type="submit">{submitLabel}</Button>
        <Button type="button" variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
