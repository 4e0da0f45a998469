"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorSentence } from "../components/api-error.ts";
import { FormError, FormField } from "../components/form-field.tsx";
import { PageHeader } from "../components/page-header.tsx";
import { useTRPC } from "../trpc.ts";
import { SecretScope } from "./secret-scope.tsx";
import { savedSentence } from "./secret-rules.ts";

/** The secrets panel: platform secrets (delivered to every backend) and an installed app's own. */
export default function SecretsPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const platform = useQuery(trpc.secrets.platformList.queryOptions());
  const apps = useQuery(trpc.apps.list.queryOptions({}));
  const setPlatform = useMutation(trpc.secrets.platformSet.mutationOptions());
  const deletePlatform = useMutation(trpc.secrets.platformDelete.mutationOptions());
  // An app is chosen from the installed ones, never typed: a secret for an app that does not exist is refused.
  const [appId, setAppId] = useState("");
  const app = useQuery({ ...trpc.secrets.appList.queryOptions({ appId }), enabled: appId !== "" });
  const setApp = useMutation(trpc.secrets.appSet.mutationOptions());
  const deleteApp = useMutation(trpc.secrets.appDelete.mutationOptions());

  const header = (
    <PageHeader
      title="Secrets"
      breadcrumbs={[{ label: "Studio", href: "/" }, { label: "Secrets" }]}
      description="Encrypted with AES-256-GCM under the master key. Names are listed; values are never shown."
    />
  );
  if (platform.isError) {
    return (
      <section className="space-y-6">
        {header}
        <FormError>{platform.error.data?.code === "FORBIDDEN" ? "Managing secrets requires the permission admin:secrets.manage." : errorSentence(platform.error)}</FormError>
      </section>
    );
  }
  const appName = apps.data?.find((a) => a.id === appId)?.name;
  const appTitle = appName && appName !== appId ? `Secrets of ${appName} (${appId})` : `Secrets of ${appId}`;

  return (
    <section className="space-y-6">
      {header}
      <SecretScope
        title="Platform secrets"
        tableLabel="Platform secret names"
        kind="platform"
        names={platform.data}
        loading={platform.isPending}
        onSave={async (key, value) => {
          const r = await setPlatform.mutateAsync({ key, value });
          await qc.invalidateQueries({ queryKey: trpc.secrets.platformList.queryKey() });
          return savedSentence(key, r.workers_restarted);
        }}
        onDelete={async (key) => {
          await deletePlatform.mutateAsync({ key });
          await qc.invalidateQueries({ queryKey: trpc.secrets.platformList.queryKey() });
        }}
      />

      <section aria-label="App secrets" className="space-y-3">
        <h2 className="font-semibold">App secrets</h2>
        <div className="w-72 max-w-full">
          <FormField
            kind="select"
            label="App"
            value={appId}
            onChange={(e) => setAppId(e.target.value)}
            placeholder={apps.isPending ? "Loading apps…" : apps.data?.length ? "Choose an installed app…" : "No app installed"}
            options={(apps.data ?? []).map((a) => ({ value: a.id, label: a.name === a.id ? a.id : `${a.name} (${a.id})` }))}
            hint="App secrets reach only that app's backend."
            error={apps.isError ? errorSentence(apps.error) : undefined}
          />
        </div>
        {app.isError && (
          <FormError>{app.error.data?.code === "NOT_FOUND" ? `The app ${appId} is not installed (any more); choose another one.` : errorSentence(app.error)}</FormError>
        )}
        {appId && !app.isError && (
          <SecretScope
            title={appTitle}
            tableLabel={`Secret names of ${appId}`}
            kind="app"
            names={app.data}
            loading={app.isPending}
            onSave={async (key, value) => {
              await setApp.mutateAsync({ appId, key, value });
              await qc.invalidateQueries({ queryKey: trpc.secrets.appList.queryKey({ appId }) });
              return savedSentence(key, undefined);
            }}
            onDelete={async (key) => {
              await deleteApp.mutateAsync({ appId, key });
              await qc.invalidateQueries({ queryKey: trpc.secrets.appList.queryKey({ appId }) });
            }}
          />
        )}
      </section>
    </section>
  );
}
