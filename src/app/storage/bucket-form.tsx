"use client";
import { useState } from "react";
import { Button } from "../components/button.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { useFormErrors } from "../components/use-form-errors.ts";
import { BUCKET_NAME, parseTypes, PLATFORM_MAX_BYTES } from "./model.ts";

const FIELDS = ["name", "public", "max_file_size", "allowed_types"] as const;
const MIB = 1024 * 1024;

export interface NewBucket {
  name: string;
  public: boolean;
  max_file_size?: number;
  /** Absent: any type. */
  allowed_types?: string[];
}

interface Props {
  /** Creates the bucket; throws the Core's refusal, shown next to the field it names. */
  onSubmit: (bucket: NewBucket) => Promise<void>;
  onCancel: () => void;
}

/** A new bucket: its name, whether anyone may read it, its own size limit and the content types it takes. */
export function BucketForm({ onSubmit, onCancel }: Props) {
  const { errors, fail, set, clear } = useFormErrors(FIELDS);
  const [name, setName] = useState("");
  const [isPublic, setPublic] = useState(false);
  const [maxMib, setMaxMib] = useState("");
  const [types, setTypes] = useState("");
  const [saving, setSaving] = useState(false);

  async function submit() {
    clear();
    if (!BUCKET_NAME.test(name)) return set("name", "Use 1 to 63 characters of a-z, 0-9 and _ (the name is part of the bucket's permission keys).");
    let maxBytes: number | undefined;
    if (maxMib.trim() !== "") {
      const mib = Number(maxMib);
      maxBytes = Math.floor(mib * MIB);
      if (!Number.isFinite(mib) || maxBytes < 1 || maxBytes > PLATFORM_MAX_BYTES) return set("max_file_size", "Give a size above 0 and at most 64 MiB, or leave it empty.");
    }
    setSaving(true);
    try {
      const allowed = parseTypes(types);
      await onSubmit({ name, public: isPublic, ...(maxBytes !== undefined ? { max_file_size: maxBytes } : {}), ...(allowed.length ? { allowed_types: allowed } : {}) });
    } catch (err) {
      fail(err);
    } finally {
      setSaving(false);
    }
  }

  return (
    <form
      noValidate
      aria-label="New bucket"
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
        value={name}
        error={errors.fields.name}
        hint="1 to 63 characters of a-z, 0-9 and _. It names the bucket's permission keys (storage:{name}:read …) and cannot be changed."
        onChange={(e) => {
          clear("name");
          setName(e.target.value);
        }}
      />
      <FormField
        kind="checkbox"
        label="Public: anyone may read its files, without an account"
        name="public"
        checked={isPublic}
        error={errors.fields.public}
        onChange={(e) => {
          clear("public");
          setPublic(e.target.checked);
        }}
      />
      <FormField
        kind="number"
        label="Largest file (MiB)"
        name="max_file_size"
        min={0}
        step="any"
        value={maxMib}
        error={errors.fields.max_file_size}
        hint="Empty: the platform limit of 64 MiB."
        onChange={(e) => {
          clear("max_file_size");
          setMaxMib(e.target.value);
        }}
      />
      <FormField
        kind="textarea"
        label="Allowed types"
        name="allowed_types"
        rows={2}
        spellCheck={false}
        value={types}
        error={errors.fields.allowed_types}
        hint="Content types separated by commas, e.g. image/*, application/pdf. Empty: any type. A file whose first bytes say another type is refused."
        onChange={(e) => {
          clear("allowed_types");
          setTypes(e.target.value);
        }}
      />
      <FormError>{errors.form}</FormError>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={saving}>
          {saving ? "Creating…" : "Create bucket"}
        </Button>
        <Button type="button" variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
