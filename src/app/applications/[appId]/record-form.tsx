"use client";
import { useMemo, useState, type FormEvent } from "react";
import { Button } from "../../components/button.tsx";
import { FormError } from "../../components/form-field.tsx";
import { useFormErrors } from "../../components/use-form-errors.ts";
import { fromInput, initialInput, toInput, type FieldDef, type InputValue } from "../field-values.ts";
import { FieldInput } from "./field-input.tsx";

interface Props {
  title: string;
  fields: FieldDef[];
  /** The record being edited; absent for a new one. */
  record?: Record<string, unknown>;
  /** Creating: every filled-in field. Editing: only the fields the person changed. Throws the API's error. */
  onSubmit: (values: Record<string, unknown>) => Promise<void>;
  onCancel: () => void;
}

/** A form built from an entity's fields, for a new record or to edit one; shown inside a SlideOver. */
export function RecordForm({ title, fields, record, onSubmit, onCancel }: Props) {
  const names = useMemo(() => fields.map((f) => f.name), [fields]);
  const [initial] = useState(() => Object.fromEntries(fields.map((f) => [f.name, record ? toInput(f, record[f.name]) : initialInput(f)])));
  const [values, setValues] = useState<Record<string, InputValue>>(initial);
  const { errors, fail, set, clear } = useFormErrors(names);
  const [saving, setSaving] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    clear();
    const out: Record<string, unknown> = {};
    let invalid = false;
    for (const field of fields) {
      const raw = values[field.name] ?? "";
      // An edit sends only what changed: an untouched json value with big integers (rounded once parsed in
      // JavaScript) must never be written back, nor a concurrent change to another field overwritten.
      if (record && raw === initial[field.name]) continue;
      const parsed = fromInput(field, raw);
      if (!parsed.ok) {
        set(field.name, parsed.error);
        invalid = true;
        continue;
      }
      // Left empty on a new record: the column's default applies.
      if (!record && parsed.value === null) continue;
      out[field.name] = parsed.value;
    }
    if (invalid) return;
    if (record && Object.keys(out).length === 0) return onCancel();
    setSaving(true);
    try {
      await onSubmit(out);
    } catch (err) {
      fail(err);
    } finally {
      setSaving(false);
    }
  }

  return (
    <form aria-label={title} noValidate onSubmit={submit} className="space-y-4">
      {fields.map((f) => (
        <FieldInput
          key={f.name}
          field={f}
          value={values[f.name] ?? ""}
          error={errors.fields[f.name]}
          onChange={(v) => {
            clear(f.name);
            setValues((prev) => ({ ...prev, [f.name]: v }));
          }}
        />
      ))}
      <FormError>{errors.form}</FormError>
      <div className="flex flex-wrap gap-2">
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
