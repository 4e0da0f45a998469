"use client";
import { useState, type FormEvent } from "react";
import { Button, ErrorText, errorMessage } from "../../ui.tsx";
import { fromInput, initialInput, toInput, type FieldDef, type InputValue } from "../field-values.ts";
import { FieldInput } from "./field-input.tsx";

interface Props {
  title: string;
  fields: FieldDef[];
  /** The record being edited; absent for a new one. */
  record?: Record<string, unknown>;
  /** Creating: every filled-in field. Editing: only the fields the person changed. */
  onSubmit: (values: Record<string, unknown>) => Promise<void>;
  onCancel: () => void;
}

/** A form built from an entity's fields, for a new record or to edit one. */
export function RecordForm({ title, fields, record, onSubmit, onCancel }: Props) {
  const [initial] = useState(() => Object.fromEntries(fields.map((f) => [f.name, record ? toInput(f, record[f.name]) : initialInput(f)])));
  const [values, setValues] = useState<Record<string, InputValue>>(initial);
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setError(undefined);
    const out: Record<string, unknown> = {};
    for (const field of fields) {
      const raw = values[field.name] ?? "";
      // An edit sends only what changed, so a concurrent change to another field is not overwritten.
      if (record && raw === initial[field.name]) continue;
      const parsed = fromInput(field, raw);
      if (!parsed.ok) return setError(parsed.error);
      // Left empty on a new record: the column's default applies.
      if (!record && parsed.value === null) continue;
      out[field.name] = parsed.value;
    }
    if (record && Object.keys(out).length === 0) return onCancel();
    setSaving(true);
    try {
      await onSubmit(out);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  }

  return (
    <form aria-label={title} onSubmit={submit} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <h3 className="font-semibold">{title}</h3>
      <div className="grid grid-cols-1 gap-3 md:grid-cols-2">
        {fields.map((f) => (
          <FieldInput key={f.name} field={f} value={values[f.name] ?? ""} onChange={(v) => setValues((prev) => ({ ...prev, [f.name]: v }))} />
        ))}
      </div>
      <ErrorText>{error}</ErrorText>
      <div className="flex gap-2">
        <Button type="submit" disabled={saving}>
          Save
        </Button>
        <Button type="button" variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
