"use client";
import { useState } from "react";
import { Button } from "../components/button.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { useFormErrors } from "../components/use-form-errors.ts";

const FIELDS = ["name"] as const;

interface Props {
  /** The form's accessible name, e.g. "New folder" or "Rename report.pdf". */
  title: string;
  initial?: string;
  submitLabel: string;
  /** Throws the Core's refusal (a name taken in the folder, a `/` in it…), shown under the field. */
  onSubmit: (name: string) => Promise<void>;
  onCancel: () => void;
}

/** One name: a new folder's, or an object's new one. The Core's naming rules give the error sentence. */
export function NameForm({ title, initial = "", submitLabel, onSubmit, onCancel }: Props) {
  const { errors, fail, set, clear } = useFormErrors(FIELDS);
  const [name, setName] = useState(initial);
  const [saving, setSaving] = useState(false);

  async function submit() {
    clear();
    if (name.trim() === "") return set("name", "Give a name.");
    if (name === initial) return onCancel();
    setSaving(true);
    try {
      await onSubmit(name);
    } catch (err) {
      fail(err);
    } finally {
      setSaving(false);
    }
  }

  return (
    <form
      noValidate
      aria-label={title}
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <FormField
        label="Name"
        name="name"
        autoComplete="off"
        autoFocus
        value={name}
        error={errors.fields.name}
        hint="Unique in its folder; no / or control characters, not . or .., at most 255 characters."
        onChange={(e) => {
          clear("name");
          setName(e.target.value);
        }}
      />
      <FormError>{errors.form}</FormError>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={saving}>
          {submitLabel}
        </Button>
        <Button type="button" variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
