"use client";
import { Button } from "../components/button.tsx";
import { FormField } from "../components/form-field.tsx";
import { useToast } from "../components/toast.tsx";
import { formatWhen } from "./format.ts";

/**
 * A key just made, shown once: the Core keeps only its hash, so once this is dismissed (or the panel closed)
 * nobody can read it again.
 */
export function OneTimeKey({ name, secret, expiresAt, onDone }: { name: string; secret: string; expiresAt: string; onDone: () => void }) {
  const toast = useToast();

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      toast.success(`Key ${name} copied.`);
    } catch {
      toast.error("The browser refused to copy; select the key and copy it.");
    }
  }

  return (
    <div className="space-y-3 rounded-md border border-amber-300 bg-amber-50 p-3 dark:border-amber-700 dark:bg-amber-950" data-testid="new-key">
      <p role="alert" className="text-sm font-medium text-amber-900 dark:text-amber-200">
        Copy this key now. It is shown only once: the Core keeps only a hash, so it cannot be shown again.
      </p>
      <FormField
        label={`API key ${name}`}
        name="key"
        readOnly
        value={secret}
        className="font-mono"
        onFocus={(e) => e.currentTarget.select()}
        hint={`Send it as Authorization: Bearer <key>. Valid until ${formatWhen(expiresAt, "—")}.`}
      />
      <div className="flex flex-wrap gap-2">
        <Button type="button" onClick={() => void copy()}>
          Copy key
        </Button>
        <Button type="button" variant="secondary" onClick={onDone}>
          I have stored it
        </Button>
      </div>
    </div>
  );
}
