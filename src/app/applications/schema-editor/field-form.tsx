"use client";
import { useState, type FormEvent } from "react";
import { Button } from "../../components/button.tsx";
import { FormField } from "../../components/form-field.tsx";
import { SlideOver } from "../../components/slide-over.tsx";
import { useFormErrors } from "../../components/use-form-errors.ts";
import { defaultText, FIELD_TYPES, IDENTIFIER, IDENTIFIER_RULE, parseDefault, parseEnum, SYSTEM_FIELDS, USERS_ENTITY, type DraftField } from "./manifest-draft.ts";

const FIELDS = ["name", "type", "default_value", "enum_values", "references"] as const;
const ON_DELETE = [
  { value: "", label: "default (refuse while linked)" },
  { value: "restrict", label: "restrict" },
  { value: "cascade", label: "cascade (delete linking records)" },
  { value: "set_null", label: "set_null (clear the link)" },
];

export interface FieldFormProps {
  entityName: string;
  /** The field being edited; undefined to add one. */
  field?: DraftField;
  /** The entity's other field names (a name is used once). */
  taken: string[];
  /** Entities a link may point at. */
  entities: string[];
  /** Whether the field exists in the installed app (then a rename or a retype touches its stored values). */
  installed: boolean;
  onSave: (field: DraftField) => void;
  onClose: () => void;
}

/** Add or edit one field of an entity; the result goes into the manifest draft, nothing is installed yet. */
export function FieldForm(props: FieldFormProps) {
  const { entityName, field } = props;
  return (
    <SlideOver open title={field ? `Edit field ${field.name}` : `Add a field to ${entityName}`} description="Changes go into the manifest; preview them before installing." onClose={props.onClose}>
      <FieldFormBody {...props} />
    </SlideOver>
  );
}

function FieldFormBody({ entityName, field, taken, entities, installed, onSave, onClose }: FieldFormProps) {
  const { errors, set, clear } = useFormErrors(FIELDS);
  const [name, setName] = useState(field?.name ?? "");
  const [type, setType] = useState(field?.type ?? "text");
  const [required, setRequired] = useState(field?.required === true);
  const [defaultValue, setDefaultValue] = useState(defaultText(field?.default_value));
  const [enumText, setEnumText] = useState((field?.enum_values ?? []).join("\n"));
  const [target, setTarget] = useState(field?.references?.entity ?? "");
  const [onDelete, setOnDelete] = useState(() => {
    // Manifests spell it either way (the server honours both).
    const given = field?.on_delete ?? field?.onDelete;
    return typeof given === "string" ? given : "";
  });
  const renamed = installed && field !== undefined && name !== field.name;
  const retyped = installed && field !== undefined && type !== field.type;
  const links = type === "entity_link";

  function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    clear();
    let ok = true;
    const fail = (key: (typeof FIELDS)[number], msg: string) => {
      set(key, msg);
      ok = false;
    };
    if (!IDENTIFIER.test(name)) fail("name", IDENTIFIER_RULE);
    else if (SYSTEM_FIELDS.has(name)) fail("name", `Every record already has ${name}; choose another name.`);
    else if (taken.includes(name)) fail("name", `${entityName} already has a field ${name}.`);
    const parsed = parseDefault(type, defaultValue);
    if ("problem" in parsed) fail("default_value", parsed.problem);
    const values = type === "text" ? parseEnum(enumText) : [];
    if (new Set(values).size !== values.length) fail("enum_values", "Each allowed value is listed once.");
    if (links && !target) fail("references", "Choose the entity this field links to.");
    if (!ok || "problem" in parsed) return;

    // Keys the form does not edit (description, label…) are kept; those it edits are written afresh.
    const { required: _r, default_value: _d, enum_values: _e, references: _ref, on_delete: _o, onDelete: _o2, ...kept } = field ?? { name, type };
    onSave({
      ...kept,
      name,
      type,
      ...(required ? { required: true } : {}),
      ...(parsed.value !== undefined ? { default_value: parsed.value } : {}),
      ...(values.length ? { enum_values: values } : {}),
      ...(links ? { references: { entity: target }, ...(onDelete ? { on_delete: onDelete } : {}) } : {}),
    });
  }

  return (
    <form noValidate onSubmit={save} aria-label={field ? `Edit field ${field.name}` : "New field"} className="space-y-4">
      <FormField
        label="Field name"
        value={name}
        autoFocus
        autoComplete="off"
        error={errors.fields.name}
        hint={renamed ? undefined : "a-z, 0-9 and _, starting with a letter"}
        onChange={(e) => {
          setName(e.target.value);
          clear("name");
        }}
      />
      {renamed && (
        <p role="note" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-200">
          The manifest has no rename: renaming {field.name} to {name || "…"} drops the column {field.name} with its values and adds an empty {name || "new"} column. The preview shows how many
          values would be lost.
        </p>
      )}
      <FormField
        kind="select"
        label="Type"
        value={type}
        options={FIELD_TYPES.map((t) => ({ value: t, label: t }))}
        error={errors.fields.type}
        onChange={(e) => {
          setType(e.target.value);
          clear("type");
          clear("default_value");
        }}
      />
      {retyped && (
        <p role="note" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-200">
          Existing values are converted from {field.type} to {type}; the preview lists those that would be lost or changed.
        </p>
      )}
      <FormField kind="checkbox" label="Required" checked={required} onChange={(e) => setRequired(e.target.checked)} />
      <FormField
        label="Default value"
        value={defaultValue}
        error={errors.fields.default_value}
        hint={type === "json" || type.startsWith("[") ? "Written as JSON." : type === "boolean" ? "true or false." : "Empty for none. Existing records take it when a required field is added."}
        onChange={(e) => {
          setDefaultValue(e.target.value);
          clear("default_value");
        }}
      />
      {type === "text" && (
        <FormField
          kind="textarea"
          label="Allowed values"
          rows={3}
          value={enumText}
          error={errors.fields.enum_values}
          hint="One per line (or comma-separated); empty for any text."
          onChange={(e) => {
            setEnumText(e.target.value);
            clear("enum_values");
          }}
        />
      )}
      {links && (
        <>
          <FormField
            kind="select"
            label="Links to"
            value={target}
            placeholder="Choose an entity"
            options={[...entities, USERS_ENTITY].map((t) => ({ value: t, label: t === USERS_ENTITY ? `${t} (platform users)` : t }))}
            error={errors.fields.references}
            onChange={(e) => {
              setTarget(e.target.value);
              clear("references");
            }}
          />
          <FormField kind="select" label="When the linked record is deleted" value={onDelete} options={ON_DELETE} onChange={(e) => setOnDelete(e.target.value)} />
        </>
      )}
      <div className="flex flex-wrap gap-2">
        <Button type="submit">{field ? "Save field" : "Add field"}</Button>
        <Button type="button" variant="secondary" onClick={onClose}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
