"use client";
import { useState, type FormEvent } from "react";
import { Button } from "../../components/button.tsx";
import { FormField } from "../../components/form-field.tsx";
import { SlideOver } from "../../components/slide-over.tsx";
import { useFormErrors } from "../../components/use-form-errors.ts";
import { IDENTIFIER, IDENTIFIER_RULE } from "./manifest-draft.ts";

const FIELDS = ["entityName"] as const;

/** Names a new entity or renames one (which, for an installed app, drops its table and creates an empty one). */
export function EntityForm({ current, taken, installed, onSave, onClose }: { current?: string; taken: string[]; installed: boolean; onSave: (name: string) => void; onClose: () => void }) {
  return (
    <SlideOver open title={current ? `Rename entity ${current}` : "Add an entity"} description="Changes go into the manifest; preview them before installing." onClose={onClose}>
      <EntityFormBody current={current} taken={taken} installed={installed} onSave={onSave} onClose={onClose} />
    </SlideOver>
  );
}

function EntityFormBody({ current, taken, installed, onSave, onClose }: { current?: string; taken: string[]; installed: boolean; onSave: (name: string) => void; onClose: () => void }) {
  const { errors, set, clear } = useFormErrors(FIELDS);
  const [name, setName] = useState(current ?? "");

  function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!IDENTIFIER.test(name)) return set("entityName", IDENTIFIER_RULE);
    if (name !== current && taken.includes(name)) return set("entityName", `The app already has an entity ${name}.`);
    onSave(name);
  }

  return (
    <form noValidate onSubmit={save} aria-label={current ? `Rename entity ${current}` : "New entity"} className="space-y-4">
      <FormField
        label="Entity name"
        value={name}
        autoFocus
        autoComplete="off"
        error={errors.fields.entityName}
        hint="a-z, 0-9 and _, starting with a letter; it becomes the table's name."
        onChange={(e) => {
          setName(e.target.value);
          clear("entityName");
        }}
      />
      {current && installed && (
        <p role="note" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-200">
          The manifest has no rename: renaming {current} drops its table with every record and creates an empty one under the new name. Links to it follow the new name. The
          preview shows how many records would be lost.
        </p>
      )}
      <div className="flex flex-wrap gap-2">
        <Button type="submit">{current ? "Rename" : "Add entity"}</Button>
        <Button type="button" variant="secondary" onClick={onClose}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
