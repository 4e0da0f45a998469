"use client";
import { useQuery } from "@tanstack/react-query";
import { errorSentence } from "../components/api-error.ts";
import { FormError } from "../components/form-field.tsx";
import { PageHeader } from "../components/page-header.tsx";
import { usePermissions } from "../components/permissions.tsx";
import { useTRPC } from "../trpc.ts";
import { AppWebhooks } from "./app-webhooks.tsx";
import { webhookReadKey } from "./permissions.ts";

/** Inbound webhooks of every app whose webhooks the caller may read (app:{id}:webhook.read), one section each. */
export default function WebhooksPage() {
  const trpc = useTRPC();
  const perms = usePermissions();
  const apps = useQuery(trpc.apps.list.queryOptions());
  const readable = (apps.data ?? []).filter((a) => perms.can(webhookReadKey(a.id)));

  return (
    <section className="min-w-0 space-y-6">
      <PageHeader
        title="Webhooks"
        breadcrumbs={[{ label: "Studio", href: "/" }, { label: "Webhooks" }]}
        description="Each webhook an app's manifest declares has a secret URL; a call reaches the app's backend method. Rotate a URL that leaked."
      />
      {apps.isError && <FormError>{errorSentence(apps.error)}</FormError>}
      {perms.ready && apps.isSuccess && readable.length === 0 && (
        <p data-testid="webhooks-empty" className="rounded-md border border-slate-200 bg-white px-4 py-3 text-sm text-slate-700 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-300">
          No app lets you see its webhooks (that needs app:&#123;app&#125;:webhook.read). Apps declare webhooks in their manifest&apos;s <code className="font-mono">webhooks</code>.
        </p>
      )}
      {perms.ready && readable.map((a) => <AppWebhooks key={a.id} appId={a.id} />)}
    </section>
  );
}
