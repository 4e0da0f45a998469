"use client";
import { useState, type FormEvent } from "react";
import { Button } from "../components/button.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { useFormErrors } from "../components/use-form-errors.ts";
import { nameProblem, nameRule, type SecretKind } from "./secret-rules.ts";

const FIELDS = ["key", "value"] as const;

/**
 * Sets one secret: a name (fixed when replacing an existing value) and a write-only value. The name's rule is
 * checked here first so the sentence appears at once; the server's own refusal lands under the same field.
 */
export function SecretForm({ kind, scopeLabel, fixedName, onSave }: { kind: SecretKind; scopeLabel: string; fixedName?: string; onSave: (key: string, value: string) => Promise<void> }) {
  const { errors, fail, set, clear } = useFormErrors(FIELDS);
  const [pending, setPending] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const key = fixedName ?? String(form.get("key") ?? "").trim();
    const value = String(form.get("value") ?? "");
    clear();
    const problem = nameProblem(kind, key);
    if (problem) return set("key", problem);
    setPending(true);
    try {
      await onSave(key, value);
    } catch (err) {
      fail(err);
    } finally {
      setPending(false);
    }
  }

  return (
    <form noValidate onSubmit={submit} aria-label={`Set a secret in ${scopeLabel}`} className="space-y-3">
      {fixedName === undefined ? (
        <FormField label="Secret name" name="key" autoComplete="off" spellCheck={false} className="font-mono" hint={nameRule(kind)} error={errors.fields.key} onChange={() => clear("key")} />
      ) : (
        <p className="text-sm">
          <span className="text-slate-600 dark:text-slate-400">Name: </span>
          <span className="font-mono">{fixedName}</span>
        </p>
      )}
      <FormField kind="password" label="Secret value" name="value" autoComplete="off" hint="Write-only: it is never shown again, not even here." error={errors.fields.value} onChange={() => clear("value")} />
      <FormError>{errors.form}</FormError>
      <Button type="submit" disabled={pending}>
        Save
      </Button>
    </form>
  );
}
