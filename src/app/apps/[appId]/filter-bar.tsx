"use client";
import { useState, type FormEvent } from "react";
import { Button } from "../../ui.tsx";
import type { FieldDef } from "../field-values.ts";

type Operator = "equals" | "contains" | "empty";

const TEXT_TYPES = new Set(["text", "file"]);

/** LIKE's wildcards in what a person typed are meant literally. */
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** One condition in the Data API's where language (spec §2.6). */
export function buildWhere(field: FieldDef, op: Operator, value: string): Record<string, unknown> {
  const name = field.name;
  if (op === "contains") return { [name]: { $ilike: `%${escapeLike(value)}%` } };
  if (op === "empty") return TEXT_TYPES.has(field.type) ? { $or: [{ [name]: null }, { [name]: "" }] } : { [name]: null };
  if (field.type === "[text]" || field.type === "[number]") {
    return { [name]: value.split(",").map((s) => s.trim()).filter((s) => s !== "") };
  }
  return { [name]: value };
}

interface Props {
  fields: FieldDef[];
  onApply: (where: Record<string, unknown> | undefined) => void;
}

/** The browser's filter row: a field, an operator and a value. */
export function FilterBar({ fields, onApply }: Props) {
  const [name, setName] = useState(fields[0]?.name ?? "");
  const [op, setOp] = useState<Operator>("equals");
  const [value, setValue] = useState("");

  function apply(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const field = fields.find((f) => f.name === name);
    if (field) onApply(buildWhere(field, op, value));
  }

  function clear() {
    setValue("");
    setOp("equals");
    onApply(undefined);
  }

  const control = "rounded-md border border-slate-300 px-2 py-1";
  return (
    <form aria-label="Filter records" onSubmit={apply} className="flex flex-wrap items-end gap-2 text-sm">
      <label>
        <span className="mb-1 block text-slate-700">Filter field</span>
        <select value={name} onChange={(e) => setName(e.target.value)} className={control}>
          {fields.map((f) => (
            <option key={f.name} value={f.name}>
              {f.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span className="mb-1 block text-slate-700">Operator</span>
        <select value={op} onChange={(e) => setOp(e.target.value as Operator)} className={control}>
          <option value="equals">equals</option>
          <option value="contains">contains</option>
          <option value="empty">is empty</option>
        </select>
      </label>
      <label>
        <span className="mb-1 block text-slate-700">Value</span>
        <input value={value} onChange={(e) => setValue(e.target.value)} disabled={op === "empty"} className={control} />
      </label>
      <Button type="submit" variant="secondary" disabled={!name}>
        Apply
      </Button>
      <Button type="button" variant="secondary" onClick={clear}>
        Clear
      </Button>
    </form>
  );
}
