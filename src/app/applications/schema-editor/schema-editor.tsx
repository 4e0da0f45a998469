"use client";
import { useState } from "react";
import { Button } from "../../components/button.tsx";
import { FormField } from "../../components/form-field.tsx";
import { EntityForm } from "./entity-form.tsx";
import { FieldForm } from "./field-form.tsx";
import { defaultText, linksTo, putField, removeEntity, removeField, renameEntity, setEntity, type Draft, type DraftEntity, type DraftField } from "./manifest-draft.ts";

type Editing = { kind: "entity"; entity?: number } | { kind: "field"; entity: number; field?: number };

export interface SchemaEditorProps {
  draft: Draft;
  onChange: (draft: Draft) => void;
  /** Re-installing: the app id names the installed app and cannot change here. */
  lockAppId: boolean;
  /** entity → field names as installed, to warn when an edit touches stored values. */
  installed: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The manifest as a form: the app's name and version, its entities and their fields. */
export function SchemaEditor({ draft, onChange, lockAppId, installed }: SchemaEditorProps) {
  const [editing, setEditing] = useState<Editing>();
  const names = draft.dataContract.map((e) => e.entityName);
  const close = () => setEditing(undefined);

  return (
    <div className="space-y-4">
      <div className="grid gap-3 sm:grid-cols-3">
        <FormField label="App id" value={draft.appId} disabled={lockAppId} hint={lockAppId ? "The installed app's id." : "a-z, 0-9 and _; it names the app's schema."} onChange={(e) => onChange({ ...draft, appId: e.target.value })} />
        <FormField label="App name" value={draft.name} onChange={(e) => onChange({ ...draft, name: e.target.value })} />
        <FormField label="Version" value={draft.version} onChange={(e) => onChange({ ...draft, version: e.target.value })} />
      </div>

      {draft.dataContract.length === 0 && <p className="text-sm text-slate-600 dark:text-slate-400">No entities yet: add one to give the app a table.</p>}
      {draft.dataContract.map((entity, ei) => (
        <EntityCard
          key={`${ei}-${entity.entityName}`}
          entity={entity}
          linkedFrom={linksTo(draft, entity.entityName)}
          onAddField={() => setEditing({ kind: "field", entity: ei })}
          onEditField={(fi) => setEditing({ kind: "field", entity: ei, field: fi })}
          onRemoveField={(fi) => onChange(setEntity(draft, ei, removeField(entity, fi)))}
          onRename={() => setEditing({ kind: "entity", entity: ei })}
          onRemove={() => onChange(removeEntity(draft, ei))}
        />
      ))}
      <Button type="button" variant="secondary" onClick={() => setEditing({ kind: "entity" })}>
        Add entity
      </Button>

      {editing?.kind === "entity" && (
        <EntityForm
          current={editing.entity === undefined ? undefined : names[editing.entity]}
          taken={names}
          installed={editing.entity !== undefined && installed.has(names[editing.entity] ?? "")}
          onClose={close}
          onSave={(name) => {
            onChange(editing.entity === undefined ? { ...draft, dataContract: [...draft.dataContract, { entityName: name, fields: [] }] } : renameEntity(draft, editing.entity, name));
            close();
          }}
        />
      )}
      {editing?.kind === "field" && <FieldEditing draft={draft} editing={editing} installed={installed} onChange={onChange} onClose={close} />}
    </div>
  );
}

function FieldEditing({ draft, editing, installed, onChange, onClose }: { draft: Draft; editing: { entity: number; field?: number }; installed: SchemaEditorProps["installed"]; onChange: (d: Draft) => void; onClose: () => void }) {
  const entity = draft.dataContract[editing.entity];
  if (!entity) return null;
  const field = editing.field === undefined ? undefined : entity.fields[editing.field];
  return (
    <FieldForm
      entityName={entity.entityName}
      field={field}
      taken={entity.fields.filter((f) => f !== field).map((f) => f.name)}
      entities={draft.dataContract.map((e) => e.entityName)}
      installed={field !== undefined && (installed.get(entity.entityName)?.has(field.name) ?? false)}
      onClose={onClose}
      onSave={(f) => {
        onChange(setEntity(draft, editing.entity, putField(entity, f, editing.field)));
        onClose();
      }}
    />
  );
}

/** What a field's row says besides name and type: required, default, allowed values, link target. */
function details(f: DraftField): string {
  const parts: string[] = [];
  if (f.default_value !== undefined && f.default_value !== null) parts.push(`default ${defaultText(f.default_value)}`);
  if (f.enum_values?.length) parts.push(`one of ${f.enum_values.join(", ")}`);
  if (f.references) parts.push(`→ ${f.references.entity}`);
  return parts.join(" · ") || "—";
}

function EntityCard(props: { entity: DraftEntity; linkedFrom: string[]; onAddField: () => void; onEditField: (i: number) => void; onRemoveField: (i: number) => void; onRename: () => void; onRemove: () => void }) {
  const { entity, linkedFrom } = props;
  const name = entity.entityName;
  const headingId = `entity-${name}`;
  return (
    <section aria-labelledby={headingId} className="min-w-0 space-y-2 rounded-md border border-slate-200 p-3 dark:border-slate-700">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h3 id={headingId} className="font-mono font-semibold">
          {name}
        </h3>
        <div className="flex flex-wrap gap-2">
          <Button type="button" variant="secondary" onClick={props.onAddField} aria-label={`Add a field to ${name}`}>
            Add field
          </Button>
          <Button type="button" variant="secondary" onClick={props.onRename} aria-label={`Rename entity ${name}`}>
            Rename
          </Button>
          <Button type="button" variant="danger" onClick={props.onRemove} aria-label={`Remove entity ${name}`} disabledReason={linkedFrom.length ? `Linked from ${linkedFrom.join(", ")}: change those fields first.` : undefined}>
            Remove
          </Button>
        </div>
      </div>
      {entity.fields.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">No fields besides id, created_at and updated_at.</p>
      ) : (
        <div className="overflow-x-auto">
          <table aria-label={`Fields of ${name}`} className="w-full text-sm">
            <thead className="text-left text-xs uppercase tracking-wide text-slate-700 dark:text-slate-300">
              <tr>
                <th className="px-2 py-1 font-medium">Field</th>
                <th className="px-2 py-1 font-medium">Type</th>
                <th className="px-2 py-1 font-medium">Required</th>
                <th className="px-2 py-1 font-medium">Details</th>
                <th className="px-2 py-1 text-right font-medium">Actions</th>
              </tr>
            </thead>
            <tbody>
              {entity.fields.map((f, fi) => (
                <tr key={`${fi}-${f.name}`} data-testid={`field-${name}.${f.name}`} className="border-t border-slate-100 dark:border-slate-800">
                  <td className="px-2 py-1 font-mono">{f.name}</td>
                  <td className="px-2 py-1 font-mono">{f.type}</td>
                  <td className="px-2 py-1">{f.required ? "yes" : "no"}</td>
                  <td className="px-2 py-1 break-all text-slate-700 dark:text-slate-300">{details(f)}</td>
                  <td className="px-2 py-1">
                    <div className="flex justify-end gap-2">
                      <Button type="button" variant="secondary" onClick={() => props.onEditField(fi)} aria-label={`Edit ${name}.${f.name}`}>
                        Edit
                      </Button>
                      <Button type="button" variant="secondary" onClick={() => props.onRemoveField(fi)} aria-label={`Remove ${name}.${f.name}`}>
                        Remove
                      </Button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
