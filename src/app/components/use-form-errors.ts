"use client";
import { useCallback, useState } from "react";
import { toFormErrors, type FormErrors } from "./api-error.ts";

/**
 * A form's error state: `fail(err)` maps an API error onto the given fields, `clear(name)` drops a field's
 * error as soon as the user changes it (so a fixed value never keeps its old complaint).
 */
export function useFormErrors(fieldNames: readonly string[]) {
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const fail = useCallback((err: unknown) => setErrors(toFormErrors(err, fieldNames)), [fieldNames]);
  const set = useCallback((field: string | undefined, message: string) => setErrors((e) => (field ? { ...e, fields: { ...e.fields, [field]: message } } : { ...e, form: message })), []);
  const clear = useCallback(
    (field?: string) =>
      setErrors((e) => {
        if (!field) return { fields: {} };
        if (!(field in e.fields) && !e.form) return e;
        const { [field]: _gone, ...rest } = e.fields;
        return { fields: rest };
      }),
    [],
  );
  return { errors, fail, set, clear };
}
