"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent, type MouseEvent } from "react";
import { toFormErrors } from "../components/api-error.ts";
import { Button } from "../components/button.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { useToast } from "../components/toast.tsx";
import { useFormErrors } from "../components/use-form-errors.ts";
import { useTRPC } from "../trpc.ts";

const FIELDS = ["id", "displayName", "issuerUrl", "clientId", "clientSecret", "scopes", "defaultRole", "roleClaim"] as const;

interface Discovery {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
}

/**
 * Adding an identity provider. "Test discovery" fetches the issuer's discovery document through the Core
 * (the same check saving makes), so a wrong issuer is caught before the rest of the form is filled in.
 */
export function ProviderForm({ onSaved }: { onSaved(id: string): void }) {
  const trpc = useTRPC();
  const toast = useToast();
  const roles = useQuery(trpc.roles.list.queryOptions());
  const create = useMutation(trpc.oidc.create.mutationOptions());
  const test = useMutation(trpc.oidc.testDiscovery.mutationOptions());
  const { errors, fail, set, clear } = useFormErrors(FIELDS);
  const [discovery, setDiscovery] = useState<Discovery>();

  async function testDiscovery(e: MouseEvent<HTMLButtonElement>) {
    const field = e.currentTarget.form?.elements.namedItem("issuerUrl");
    clear("issuerUrl");
    setDiscovery(undefined);
    try {
      setDiscovery(await test.mutateAsync({ issuerUrl: field instanceof HTMLInputElement ? field.value : "" }));
    } catch (err) {
      // A malformed URL comes back as a field error, a failed fetch as a sentence: both belong under the field.
      const mapped = toFormErrors(err, ["issuerUrl"]);
      set("issuerUrl", mapped.fields.issuerUrl ?? mapped.form ?? "Discovery failed.");
    }
  }

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const text = (k: string) => String(f.get(k) ?? "").trim();
    clear();
    try {
      await create.mutateAsync({
        id: text("id"),
        displayName: text("displayName"),
        issuerUrl: text("issuerUrl"),
        clientId: text("clientId"),
        ...(text("clientSecret") ? { clientSecret: text("clientSecret") } : {}),
        scopes: text("scopes").split(/\s+/).filter(Boolean),
        autoRegister: f.get("autoRegister") === "on",
        trustEmail: f.get("trustEmail") === "on",
        defaultRole: text("defaultRole") || "base",
        roleClaim: text("roleClaim") || null,
        enabled: f.get("enabled") === "on",
      });
      toast.success(`Provider ${text("displayName")} saved.`);
      onSaved(text("id"));
    } catch (err) {
      fail(err);
    }
  }

  const roleOptions = (roles.data ?? []).map((r) => ({ value: r.name, label: r.name }));

  return (
    <form noValidate onSubmit={submit} aria-label="Add identity provider" className="space-y-3">
      <FormField label="Id" name="id" hint="Lower-case letters, digits, - or _; appears in the callback URLs." required error={errors.fields.id} onChange={() => clear("id")} />
      <FormField label="Display name" name="displayName" hint="The sign-in button reads “Continue with …”." required error={errors.fields.displayName} onChange={() => clear("displayName")} />
      <FormField
        kind="url"
        label="Issuer URL"
        name="issuerUrl"
        hint="HTTPS, or http on localhost only."
        required
        error={errors.fields.issuerUrl}
        onChange={() => {
          clear("issuerUrl");
          setDiscovery(undefined);
        }}
      />
      <div className="flex items-center gap-3">
        <Button type="button" variant="secondary" disabled={test.isPending} onClick={(e) => void testDiscovery(e)}>
          {test.isPending ? "Testing…" : "Test discovery"}
        </Button>
        {discovery ? (
          <p role="status" data-testid="discovery-result" className="text-sm text-emerald-700 dark:text-emerald-400">
            Discovery OK: {discovery.issuer}
          </p>
        ) : null}
      </div>
      <FormField label="Client id" name="clientId" required error={errors.fields.clientId} onChange={() => clear("clientId")} />
      <FormField kind="password" label="Client secret" name="clientSecret" autoComplete="off" hint="Kept in the vault; never shown again. Leave empty for a public client." error={errors.fields.clientSecret} onChange={() => clear("clientSecret")} />
      <FormField label="Scopes" name="scopes" defaultValue="openid email profile" hint="Separated by spaces; openid is required." error={errors.fields.scopes} onChange={() => clear("scopes")} />
      <FormField kind="select" label="Default role" name="defaultRole" options={roleOptions.length > 0 ? roleOptions : [{ value: "base", label: "base" }]} defaultValue="base" error={errors.fields.defaultRole} />
      <FormField label="Role claim" name="roleClaim" hint="Optional: a claim naming a role to give new users instead. It can name admin: use only a claim your provider's administrators alone control." error={errors.fields.roleClaim} onChange={() => clear("roleClaim")} />
      <FormField kind="checkbox" label="Create accounts on first sign-in" name="autoRegister" defaultChecked />
      <FormField kind="checkbox" label="Also create accounts for e-mail addresses the provider does not mark verified" name="trustEmail" />
      <FormField kind="checkbox" label="Enabled" name="enabled" defaultChecked />
      <FormError>{errors.form}</FormError>
      <Button type="submit" disabled={create.isPending}>
        {create.isPending ? "Checking discovery and saving…" : "Save provider"}
      </Button>
    </form>
  );
}
