"use client";
import { useState, type FormEvent } from "react";
import { Button } from "../../components/button.tsx";
import { FormError, FormField } from "../../components/form-field.tsx";
import type { FieldDef } from "../field-values.ts";
import { compileFilter, newCondition, OPERATOR_LABELS, operatorsFor, type Condition } from "./filter-model.ts";

interface Props {
  fields: FieldDef[];
  /** The conditions in force (from the URL); the bar edits a copy until Apply. */
  applied: Condition[];
  /** Why conditions from the URL cannot be sent (a hand-edited or outdated link), by position. */
  appliedErrors?: Record<number, string>;
  /** The server's refusal of the applied filter: next to the condition it names, or under the bar. */
  serverError?: { index?: number; text: string };
  onApply: (conditions: Condition[]) => void;
  /** A condition cannot be sent: the table must not go on showing results as if it had been applied. */
  onInvalid: () => void;
  onClear: () => void;
}

const VALUELESS = new Set(["empty", "notEmpty"]);

/** The filter builder: conditions joined with AND, each with operators and a value control for its field's type. */
export function FilterBar({ fields, applied, appliedErrors, serverError, onApply, onInvalid, onClear }: Props) {
  const blank = () => (fields[0] ? [newCondition(fields[0])] : []);
  const [draft, setDraft] = useState<Condition[]>(() => (applied.length ? applied : blank()));
  const [errors, setErrors] = useState<Record<number, string>>(appliedErrors ?? {});

  const update = (i: number, patch: Partial<Condition>) => {
    setErrors(({ [i]: _gone, ...rest }) => rest);
    setDraft((d) => d.map((c, j) => (j === i ? { ...c, ...patch } : c)));
  };

  function apply(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    // A condition left entirely blank is not a mistake, just unused.
    const used = draft.filter((c) => VALUELESS.has(c.op) || c.value !== "" || c.to !== "" || c.list.length > 0);
    const compiled = compileFilter(fields, used);
    if (!compiled.ok) {
      // Positions within `used` back to positions in the draft.
      setErrors(Object.fromEntries(Object.entries(compiled.errors).map(([k, v]) => [draft.indexOf(used[Number(k)]!), v])));
      onInvalid();
      return;
    }
    setErrors({});
    onApply(used);
  }

  function clear() {
    setErrors({});
    setDraft(blank());
    onClear();
  }

  const errorOf = (i: number) => errors[i] ?? (serverError?.index === i ? serverError.text : undefined);
  return (
    <form aria-label="Filter records" noValidate onSubmit={apply} className="space-y-2">
      {draft.map((c, i) => {
        const field = fields.find((f) => f.name === c.field) ?? fields[0]!;
        return (
          <fieldset key={i} className="flex min-w-0 flex-wrap items-start gap-2">
            <legend className="sr-only">Condition {i + 1}</legend>
            <div className="w-44">
              <FormField
                kind="select"
                label="Field"
                value={c.field}
                options={fields.map((f) => ({ value: f.name, label: f.name }))}
                onChange={(e) => {
                  const next = fields.find((f) => f.name === e.target.value);
                  if (next) update(i, newCondition(next));
                }}
              />
            </div>
            <div className="w-36">
              <FormField
                kind="select"
                label="Operator"
                value={c.op}
                options={operatorsFor(field).map((op) => ({ value: op, label: OPERATOR_LABELS[op] }))}
                error={VALUELESS.has(c.op) ? errorOf(i) : undefined}
                onChange={(e) => update(i, { op: e.target.value as Condition["op"] })}
              />
            </div>
            {!VALUELESS.has(c.op) && <ValueControls field={field} condition={c} error={errorOf(i)} onChange={(patch) => update(i, patch)} />}
            {draft.length > 1 && (
              <Button type="button" variant="secondary" className="mt-6" aria-label={`Remove condition ${i + 1}`} onClick={() => {
                setErrors({});
                setDraft((d) => d.filter((_, j) => j !== i));
              }}>
                ✕
              </Button>
            )}
          </fieldset>
        );
      })}
      {serverError && serverError.index === undefined && <FormError>{serverError.text}</FormError>}
      <div className="flex flex-wrap gap-2">
        <Button type="button" variant="secondary" disabled={!fields[0]} onClick={() => setDraft((d) => [...d, newCondition(fields[0]!)])}>
          Add condition
        </Button>
        <Button type="submit" variant="secondary" disabled={draft.length === 0}>
          Apply
        </Button>
        <Button type="button" variant="secondary" onClick={clear}>
          Clear
        </Button>
      </div>
    </form>
  );
}

/** The value part of a condition: one control, two for `between`, a list for `in`; typed by the field. */
function ValueControls({ field, condition: c, error, onChange }: { field: FieldDef; condition: Condition; error?: string; onChange: (patch: Partial<Condition>) => void }) {
  const enumOptions = field.enum_values?.map((v) => ({ value: v, label: v }));
  if (c.op === "in") {
    if (enumOptions) {
      return (
        <div className="w-48">
          <FormField
            kind="select"
            label="Values"
            multiple
            size={Math.min(4, enumOptions.length)}
            value={c.list}
            options={enumOptions}
            error={error}
            hint="Ctrl-click to choose several"
            onChange={(e) => onChange({ list: Array.from(e.target.selectedOptions, (o) => o.value) })}
          />
        </div>
      );
    }
    return (
      <div className="w-64">
        <FormField label="Values" value={c.list.join(",")} error={error} hint="separated by commas" onChange={(e) => onChange({ list: [e.target.value] })} />
      </div>
    );
  }
  const control = (label: string, value: string, key: "value" | "to", err?: string) => {
    if (enumOptions) return <FormField kind="select" label={label} value={value} options={enumOptions} placeholder="—" error={err} onChange={(e) => onChange({ [key]: e.target.value })} />;
    if (field.type === "boolean") {
      const options = [{ value: "true", label: "true" }, { value: "false", label: "false" }];
      return <FormField kind="select" label={label} value={value} options={options} error={err} onChange={(e) => onChange({ [key]: e.target.value })} />;
    }
    const kind = field.type === "number" && c.op !== "contains" ? "number" : field.type === "date" ? "date" : field.type === "timestamp" ? "datetime-local" : "text";
    const hint = field.type === "json" ? 'JSON it contains, e.g. {"a": 1}' : undefined;
    return <FormField kind={kind} step={kind === "number" ? "any" : undefined} label={label} value={value} error={err} hint={hint} onChange={(e) => onChange({ [key]: e.target.value })} />;
  };
  if (c.op === "between") {
    return (
      <>
        <div className="w-52">{control("From", c.value, "value", error)}</div>
        <div className="w-52">{control("To", c.to, "to")}</div>
      </>
    );
  }
  return <div className="w-56">{control("Value", c.value, "value", error)}</div>;
}
