"use client";
import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from "react";

const INPUT =
  "w-full rounded-md border px-3 py-2 shadow-sm focus:outline-none focus:ring-1 bg-white text-slate-900 dark:bg-slate-900 dark:text-slate-100";
const OK = "border-slate-300 focus:border-brand-500 focus:ring-brand-500 dark:border-slate-600";
const BAD = "border-red-600 focus:border-red-600 focus:ring-red-600 dark:border-red-400";

interface Common {
  label: string;
  /** The readable sentence shown under the field (from `toFormErrors(...).fields[name]`). */
  error?: string;
  hint?: ReactNode;
}

type InputKind = Common & { kind?: "text" | "email" | "password" | "number" | "date" | "datetime-local" | "url" | "file" } & Omit<InputHTMLAttributes<HTMLInputElement>, "type">;
type SelectKind = Common & { kind: "select"; options: { value: string; label: string }[]; placeholder?: string } & SelectHTMLAttributes<HTMLSelectElement>;
type TextareaKind = Common & { kind: "textarea" } & TextareaHTMLAttributes<HTMLTextAreaElement>;
type CheckboxKind = Common & { kind: "checkbox" } & Omit<InputHTMLAttributes<HTMLInputElement>, "type">;

export type FormFieldProps = InputKind | SelectKind | TextareaKind | CheckboxKind;

/** A labelled input of the given kind with its error sentence next to it, wired with aria-invalid/describedby. */
export function FormField(props: FormFieldProps) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const { label, error, hint } = props;
  const describedBy = [error ? errorId : undefined, hint ? hintId : undefined].filter(Boolean).join(" ") || undefined;
  const aria = { id, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy } as const;
  const cls = `${INPUT} ${error ? BAD : OK}`;

  let control: ReactNode;
  if (props.kind === "select") {
    const { label: _l, error: _e, hint: _h, kind: _k, options, placeholder, className, ...rest } = props;
    control = (
      <select {...rest} {...aria} className={`${cls} ${className ?? ""}`}>
        {placeholder !== undefined && <option value="">{placeholder}</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    );
  } else if (props.kind === "textarea") {
    const { label: _l, error: _e, hint: _h, kind: _k, className, ...rest } = props;
    control = <textarea {...rest} {...aria} className={`${cls} ${className ?? ""}`} />;
  } else if (props.kind === "checkbox") {
    const { label: _l, error: _e, hint: _h, kind: _k, ...rest } = props;
    return (
      <div className="text-sm">
        <label htmlFor={id} className="flex items-center gap-2 text-slate-700 dark:text-slate-200">
          <input {...rest} {...aria} type="checkbox" />
          {label}
        </label>
        <FieldMessages error={error} errorId={errorId} hint={hint} hintId={hintId} />
      </div>
    );
  } else {
    const { label: _l, error: _e, hint: _h, kind, className, ...rest } = props;
    control = <input {...rest} {...aria} type={kind ?? "text"} className={`${cls} ${className ?? ""}`} />;
  }
  return (
    <div className="block min-w-0 text-sm">
      <label htmlFor={id} className="mb-1 block font-medium text-slate-700 dark:text-slate-200">
        {label}
      </label>
      {control}
      <FieldMessages error={error} errorId={errorId} hint={hint} hintId={hintId} />
    </div>
  );
}

function FieldMessages({ error, errorId, hint, hintId }: { error?: string; errorId: string; hint?: ReactNode; hintId: string }) {
  return (
    <>
      {hint && (
        <p id={hintId} className="mt-1 text-xs text-slate-600 dark:text-slate-400">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} data-testid="field-error" className="mt-1 text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </>
  );
}

/** A form-level error (role="alert"): what no single field explains. Renders nothing when empty. */
export function FormError({ children }: { children?: ReactNode }) {
  if (!children) return null;
  return (
    <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
      {children}
    </p>
  );
}
