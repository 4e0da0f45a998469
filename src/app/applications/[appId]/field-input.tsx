"use client";
import { FormField } from "../../components/form-field.tsx";
import type { FieldDef, InputValue } from "../field-values.ts";
import { FileFieldInput } from "./file-field.tsx";

function hintOf(field: FieldDef): string {
  switch (field.type) {
    case "[text]":
      return "text list, comma-separated";
    case "[number]":
      return "number list, comma-separated";
    case "entity_link":
      return `id of a ${field.references?.entity ?? "linked"} record`;
    case "json":
      return "any JSON value";
    case "timestamp":
      return "date and time (local)";
    default:
      return field.type;
  }
}

interface Props {
  field: FieldDef;
  value: InputValue;
  error?: string;
  onChange: (value: InputValue) => void;
}

/** One field's form control, chosen by its manifest type; the label is the field's name. */
export function FieldInput({ field, value, error, onChange }: Props) {
  if (field.type === "file") return <FileFieldInput field={field} value={typeof value === "string" ? value : ""} error={error} onChange={onChange} />;
  const hint = `${hintOf(field)}${field.required ? ", required" : ""}`;
  if (field.type === "boolean") {
    return <FormField kind="checkbox" label={field.name} error={error} checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
  }
  const text = typeof value === "string" ? value : "";
  const common = { label: field.name, name: field.name, error, hint, required: field.required === true, value: text };
  if (field.enum_values) {
    const options = field.enum_values.map((v) => ({ value: v, label: v }));
    return <FormField kind="select" {...common} options={options} placeholder="—" onChange={(e) => onChange(e.target.value)} />;
  }
  if (field.type === "json") {
    return <FormField kind="textarea" {...common} rows={4} spellCheck={false} className="font-mono text-xs" onChange={(e) => onChange(e.target.value)} />;
  }
  const kind = field.type === "number" ? "number" : field.type === "date" ? "date" : field.type === "timestamp" ? "datetime-local" : "text";
  return <FormField kind={kind} {...common} step={kind === "number" ? "any" : undefined} onChange={(e) => onChange(e.target.value)} />;
}
