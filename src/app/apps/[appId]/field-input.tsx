"use client";
import { useId } from "react";
import type { FieldDef, InputValue } from "../field-values.ts";

const INPUT_TYPES: Record<string, string> = { number: "number", date: "date", timestamp: "datetime-local" };
const CONTROL = "w-full rounded-md border border-slate-300 px-3 py-2 shadow-sm focus:border-brand-500 focus:outline-none focus:ring-1 focus:ring-brand-500";

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
  onChange: (value: InputValue) => void;
}

/** One field's control, chosen by its manifest type; the label is the field's name. */
export function FieldInput({ field, value, onChange }: Props) {
  const id = useId();
  const hintId = `${id}-hint`;
  if (field.type === "boolean") {
    return (
      <div className="flex items-center gap-2 text-sm">
        <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} className="h-4 w-4" />
        <label htmlFor={id} className="font-medium text-slate-700">
          {field.name}
        </label>
      </div>
    );
  }
  const text = typeof value === "string" ? value : "";
  const common = { id, required: field.required === true, "aria-describedby": hintId, className: CONTROL };
  let control;
  if (field.enum_values) {
    control = (
      <select {...common} value={text} onChange={(e) => onChange(e.target.value)}>
        <option value="">—</option>
        {field.enum_values.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    );
  } else if (field.type === "json") {
    control = <textarea {...common} rows={4} value={text} onChange={(e) => onChange(e.target.value)} spellCheck={false} className={`${CONTROL} font-mono text-xs`} />;
  } else {
    const type = INPUT_TYPES[field.type] ?? "text";
    control = <input {...common} type={type} step={type === "number" ? "any" : undefined} value={text} onChange={(e) => onChange(e.target.value)} />;
  }
  return (
    <div className="text-sm">
      {/* The marker stays outside the label so the control's name is the field's name alone. */}
      <div className="mb-1 flex gap-0.5 font-medium">
        <label htmlFor={id} className="text-slate-700">
          {field.name}
        </label>
        {field.required && (
          <span aria-hidden="true" className="text-red-600">
            *
          </span>
        )}
      </div>
      {control}
      <p id={hintId} className="mt-0.5 text-xs text-slate-500">
        {hintOf(field)}
        {field.required ? ", required" : ""}
      </p>
    </div>
  );
}
