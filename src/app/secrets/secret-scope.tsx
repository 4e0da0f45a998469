"use client";
import { useState, type FormEvent } from "react";
import { Button, ErrorText, errorMessage } from "../ui.tsx";

/**
 * One scope's secrets: names only, a write-only field to add or overwrite a value, delete with confirmation.
 * Values are never shown, not even right after saving.
 */
export function SecretScope({
  title,
  names,
  onSave,
  onDelete,
  keyPattern,
}: {
  title: string;
  names: string[];
  onSave: (key: string, value: string) => Promise<string>;
  onDelete: (key: string) => Promise<void>;
  keyPattern?: string;
}) {
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [confirming, setConfirming] = useState<string>();

  async function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    const key = String(form.get("key"));
    setError(undefined);
    setNotice(undefined);
    try {
      setNotice(await onSave(key, String(form.get("value"))));
      formEl.reset();
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  return (
    <section aria-label={title} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <h2 className="font-semibold">{title}</h2>
      {names.length === 0 ? (
        <p className="text-sm text-slate-500">No secrets yet.</p>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm">
          {names.map((name) => (
            <li key={name} data-testid={`secret-${name}`} className="flex items-center justify-between py-2">
              <span className="font-mono">{name}</span>
              <span className="flex items-center gap-2">
                <span className="text-slate-400">••••••••</span>
                {confirming === name ? (
                  <>
                    <Button
                      variant="danger"
                      onClick={async () => {
                        setError(undefined);
                        try {
                          await onDelete(name);
                          setNotice(`Deleted ${name}`);
                        } catch (err) {
                          setError(errorMessage(err));
                        }
                        setConfirming(undefined);
                      }}
                    >
                      Confirm delete
                    </Button>
                    <Button variant="secondary" onClick={() => setConfirming(undefined)}>
                      Cancel
                    </Button>
                  </>
                ) : (
                  <Button variant="secondary" onClick={() => setConfirming(name)}>
                    Delete
                  </Button>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={save} aria-label={`Set a secret in ${title}`} className="flex flex-wrap items-end gap-3">
        <label className="text-sm">
          <span className="mb-1 block text-slate-700">Name</span>
          <input name="key" required pattern={keyPattern} aria-label="Secret name" className="rounded-md border border-slate-300 px-3 py-1.5 font-mono" />
        </label>
        <label className="text-sm">
          <span className="mb-1 block text-slate-700">Value (write-only)</span>
          <input name="value" type="password" autoComplete="off" required aria-label="Secret value" className="rounded-md border border-slate-300 px-3 py-1.5" />
        </label>
        <Button type="submit">Save</Button>
      </form>
      <ErrorText>{error}</ErrorText>
      {notice && <p className="text-sm text-emerald-700">{notice}</p>}
    </section>
  );
}
