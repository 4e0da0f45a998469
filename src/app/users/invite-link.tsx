"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../components/button.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { ADMIN, usePermissions } from "../components/permissions.tsx";
import { SlideOver } from "../components/slide-over.tsx";
import { useToast } from "../components/toast.tsx";
import { useFormErrors } from "../components/use-form-errors.ts";
import { useTRPC } from "../trpc.ts";

const FIELDS = ["email", "roles", "expiresInSeconds"] as const;

const EXPIRY_OPTIONS = [
  { value: "900", label: "15 minutes" },
  { value: "3600", label: "1 hour" },
  { value: "86400", label: "24 hours" },
];

const MAIL_STATUS: Record<"sent" | "failed" | "not_configured", string> = {
  sent: "Sent by e-mail.",
  failed: "Not sent: the mail server refused or did not answer. Copy the link and hand it over yourself.",
  not_configured: "Not sent: this Core has no outgoing mail configured. Copy the link and hand it over yourself.",
};

interface Made {
  email: string;
  url: string;
  expiresAt: string;
  mail: keyof typeof MAIL_STATUS;
}

/**
 * "Invite by magic link": an address, the roles to confer (an administrator may pick any role, anyone else
 * only roles it holds, as the Core enforces) and a lifetime. The link lands on the Studio's sign-in page.
 */
export function InviteLink({ open, onClose, onInvited }: { open: boolean; onClose(): void; onInvited(): void }) {
  const trpc = useTRPC();
  const toast = useToast();
  const perms = usePermissions();
  const roles = useQuery(trpc.roles.list.queryOptions(undefined, { enabled: open }));
  const generate = useMutation(trpc.magicLink.generate.mutationOptions());
  const { errors, fail, clear } = useFormErrors(FIELDS);
  const [made, setMade] = useState<Made>();

  const offered = (roles.data ?? []).map((r) => r.name).filter((name) => perms.can(ADMIN) || perms.roles.includes(name));

  function close() {
    setMade(undefined);
    clear();
    onClose();
  }

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const email = String(form.get("email"));
    clear();
    try {
      const r = await generate.mutateAsync({
        email,
        roles: form.getAll("roles").map(String),
        expiresInSeconds: Number(form.get("expiresInSeconds")),
        redirectUri: new URL("/login", window.location.origin).toString(),
        tokenDelivery: "nonce",
      });
      setMade({ email, url: r.magicLinkUrl, expiresAt: r.expiresAt, mail: r.mail });
      toast.success(r.sent ? `Sign-in link e-mailed to ${email}.` : `Sign-in link made for ${email}.`);
      onInvited();
    } catch (err) {
      fail(err);
    }
  }

  async function copy(url: string) {
    try {
      await navigator.clipboard.writeText(url);
      toast.success("Link copied.");
    } catch {
      toast.error("The browser refused to copy; select the link and copy it.");
    }
  }

  return (
    <SlideOver open={open} title="Invite by magic link" description="A single-use link that signs the person in (and creates the account if needed)." onClose={close}>
      {made ? (
        <div className="space-y-3" data-testid="invite-result">
          <FormField label={`Sign-in link for ${made.email}`} name="link" readOnly value={made.url} onFocus={(e) => e.currentTarget.select()} hint={`Works once, until ${new Date(made.expiresAt).toLocaleString()}.`} />
          <p data-testid="invite-mail-status" className={made.mail === "sent" ? "text-sm text-emerald-700 dark:text-emerald-400" : "text-sm text-amber-800 dark:text-amber-300"}>
            {MAIL_STATUS[made.mail]}
          </p>
          <div className="flex gap-2">
            <Button type="button" onClick={() => void copy(made.url)}>
              Copy link
            </Button>
            <Button type="button" variant="secondary" onClick={() => setMade(undefined)}>
              Invite someone else
            </Button>
          </div>
        </div>
      ) : (
        <form noValidate onSubmit={submit} aria-label="Invite by magic link" className="space-y-3">
          <FormField kind="email" label="Email" name="email" required error={errors.fields.email} onChange={() => clear("email")} />
          <fieldset className="space-y-1" aria-describedby="invite-roles-hint">
            <legend className="text-sm font-medium">Roles to confer</legend>
            <p id="invite-roles-hint" className="text-xs text-slate-600 dark:text-slate-400">
              {perms.can(ADMIN) ? "Any role." : "Only roles you hold yourself."} Assigned when the link is used.
            </p>
            {offered.map((name) => (
              <FormField key={name} kind="checkbox" label={name} name="roles" value={name} onChange={() => clear("roles")} />
            ))}
            {roles.isSuccess && offered.length === 0 ? <p className="text-sm text-slate-600 dark:text-slate-400">No roles to confer.</p> : null}
            {errors.fields.roles ? <FormError>{errors.fields.roles}</FormError> : null}
          </fieldset>
          <FormField kind="select" label="Link valid for" name="expiresInSeconds" options={EXPIRY_OPTIONS} defaultValue="900" error={errors.fields.expiresInSeconds} />
          <FormError>{errors.form}</FormError>
          <Button type="submit" disabled={generate.isPending}>
            {generate.isPending ? "Making the link…" : "Make the link"}
          </Button>
        </form>
      )}
    </SlideOver>
  );
}
