"use client";
import { useRef, useState, type KeyboardEvent } from "react";
import { errorSentence } from "../../components/api-error.ts";
import { display, fromInput, toInput, type FieldDef, type InputValue } from "../field-values.ts";

/** Shared by every editable cell: how to start editing, said once for screen readers. */
export const EDIT_HINT_ID = "records-edit-hint";

const CONTROL =
  "w-full min-w-32 rounded border border-brand-500 bg-white px-1.5 py-0.5 text-sm text-slate-900 focus:outline-none focus:ring-1 focus:ring-brand-500 dark:bg-slate-900 dark:text-slate-100";

interface Props {
  field: FieldDef;
  value: unknown;
  rowLabel: string;
  /** Undefined when the caller may not update records: the cell is read-only. */
  onSave?: (value: unknown) => Promise<void>;
}

/**
 * A table cell that becomes its field's control on double-click or Enter: Enter (or leaving it) saves, Escape
 * cancels. Only this field is sent, and only when its text changed.
 */
export function EditableCell({ field, value, rowLabel, onSave }: Props) {
  const [draft, setDraft] = useState<InputValue>();
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const busy = useRef(false);
  const shown = display(value);

  if (!onSave) return <span className="block max-w-xs truncate" title={shown}>{shown}</span>;

  const start = () => {
    setError(undefined);
    setDraft(field.type === "boolean" ? (value === null || value === undefined ? "" : String(value)) : toInput(field, value));
  };
  const cancel = () => {
    setDraft(undefined);
    setError(undefined);
  };

  async function commit() {
    if (draft === undefined || busy.current) return;
    const before = field.type === "boolean" ? (value === null || value === undefined ? "" : String(value)) : toInput(field, value);
    if (draft === before) return cancel();
    const parsed = field.type === "boolean" ? { ok: true as const, value: draft === "" ? null : draft === "true" } : fromInput(field, draft);
    if (!parsed.ok) return setError(parsed.error);
    busy.current = true;
    setSaving(true);
    try {
      await onSave!(parsed.value);
      cancel();
    } catch (err) {
      // The control stays open with the typed value so it can be fixed.
      setError(errorSentence(err));
    } finally {
      busy.current = false;
      setSaving(false);
    }
  }

  if (draft === undefined) {
    return (
      <div
        tabIndex={0}
        data-testid={`cell-${field.name}`}
        aria-describedby={EDIT_HINT_ID}
        title={shown}
        onDoubleClick={start}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            start();
          }
        }}
        className="-mx-1 block min-h-5 max-w-xs cursor-text truncate rounded px-1 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-brand-500 dark:hover:bg-slate-800"
      >
        {shown}
      </div>
    );
  }

  const keys = (e: KeyboardEvent<HTMLElement>) => {
    if (e.key === "Escape") {
      // Escape belongs to this cell; the page's panels must not also close.
      e.preventDefault();
      e.stopPropagation();
      cancel();
    } else if (e.key === "Enter" && !(field.type === "json" && e.shiftKey)) {
      e.preventDefault();
      void commit();
    }
  };
  const common = {
    "aria-label": `${field.name} of ${rowLabel}`,
    "aria-invalid": error ? true : undefined,
    autoFocus: true,
    disabled: saving,
    onKeyDown: keys,
    onBlur: () => void commit(),
    className: CONTROL,
  };
  const text = typeof draft === "string" ? draft : "";
  let control;
  if (field.type === "boolean" || field.enum_values) {
    const options = field.type === "boolean" ? ["true", "false"] : field.enum_values!;
    control = (
      <select {...common} value={text} onChange={(e) => setDraft(e.target.value)}>
        <option value="">—</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  } else if (field.type === "json") {
    control = <textarea {...common} rows={3} spellCheck={false} value={text} onChange={(e) => setDraft(e.target.value)} className={`${CONTROL} font-mono text-xs`} />;
  } else {
    const type = field.type === "number" ? "number" : field.type === "date" ? "date" : field.type === "timestamp" ? "datetime-local" : "text";
    control = <input {...common} type={type} step={type === "number" ? "any" : undefined} value={text} onChange={(e) => setDraft(e.target.value)} />;
  }
  return (
    <div>
      {control}
      {error && (
        <p role="alert" className="mt-0.5 text-xs text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </div>
  );
}
