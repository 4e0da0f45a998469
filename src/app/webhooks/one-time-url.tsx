"use client";
import { Button } from "../components/button.tsx";
import { FormField } from "../components/form-field.tsx";
import { CopyButton } from "./copy-button.tsx";
import { absoluteUrl } from "./format.ts";

/**
 * A webhook's new URL (and signing secret, when the Core made a new one), shown once: the Core keeps only the
 * token's hash, so once dismissed nobody can read it again.
 */
export function OneTimeUrl({ name, url, secret, onDone }: { name: string; url: string; secret?: string | null; onDone: () => void }) {
  const full = absoluteUrl(url);
  return (
    <div className="space-y-3 rounded-md border border-amber-300 bg-amber-50 p-3 dark:border-amber-700 dark:bg-amber-950" data-testid="new-webhook-url">
      <p role="alert" className="text-sm font-medium text-amber-900 dark:text-amber-200">
        Copy the new URL of {name} now and give it to the sender. It is shown only once; the old URL no longer works.
      </p>
      <FormField label={`New URL of ${name}`} name="url" readOnly value={full} className="font-mono" onFocus={(e) => e.currentTarget.select()} />
      {secret && <FormField label={`Signing secret of ${name}`} name="secret" readOnly value={secret} className="font-mono" onFocus={(e) => e.currentTarget.select()} hint="HMAC-SHA256 of timestamp.body, sent as x-webhook-signature: sha256=… with x-webhook-timestamp." />}
      <div className="flex flex-wrap gap-2">
        <CopyButton text={full} what={`URL of ${name}`} label="Copy URL" />
        {secret && <CopyButton text={secret} what={`signing secret of ${name}`} label="Copy secret" />}
        <Button type="button" variant="secondary" onClick={onDone}>
          I have stored it
        </Button>
      </div>
    </div>
  );
}
