"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../trpc.ts";
import { Button, ErrorText } from "../ui.tsx";
import { SecretScope } from "./secret-scope.tsx";

/** The secrets panel: platform secrets (delivered to every backend) and one app's own. */
export default function SecretsPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const platform = useQuery(trpc.secrets.platformList.queryOptions());
  const setPlatform = useMutation(trpc.secrets.platformSet.mutationOptions());
  const deletePlatform = useMutation(trpc.secrets.platformDelete.mutationOptions());
  const [appId, setAppId] = useState("");
  const [appDraft, setAppDraft] = useState("");
  const app = useQuery({ ...trpc.secrets.appList.queryOptions({ appId }), enabled: appId !== "" });
  const setApp = useMutation(trpc.secrets.appSet.mutationOptions());
  const deleteApp = useMutation(trpc.secrets.appDelete.mutationOptions());

  if (platform.isError) {
    return <ErrorText>{platform.error.data?.code === "FORBIDDEN" ? "Managing secrets requires admin:secrets.manage." : platform.error.message}</ErrorText>;
  }
  return (
    <section className="space-y-6">
      <header>
        <h1 className="text-2xl font-bold tracking-tight">Secrets</h1>
        <p className="text-sm text-slate-500">Encrypted with AES-256-GCM under the master key. Names are listed; values are never shown.</p>
      </header>
      {platform.data && (
        <SecretScope
          title="Platform secrets"
          names={platform.data}
          keyPattern="[A-Za-z0-9_]+"
          onSave={async (key, value) => {
            const r = await setPlatform.mutateAsync({ key, value });
            await qc.invalidateQueries({ queryKey: trpc.secrets.platformList.queryKey() });
            return `Saved ${key}; ${r.workers_restarted} worker(s) restarted`;
          }}
          onDelete={async (key) => {
            await deletePlatform.mutateAsync({ key });
            await qc.invalidateQueries({ queryKey: trpc.secrets.platformList.queryKey() });
          }}
        />
      )}
      <div className="flex items-end gap-3">
        <label className="text-sm">
          <span className="mb-1 block text-slate-700">App id</span>
          <input value={appDraft} onChange={(e) => setAppDraft(e.target.value.trim())} aria-label="App id" className="rounded-md border border-slate-300 px-3 py-1.5 font-mono" />
        </label>
        <Button variant="secondary" onClick={() => setAppId(appDraft)} disabled={!appDraft}>
          Show app secrets
        </Button>
      </div>
      {app.isError && <ErrorText>{app.error.message}</ErrorText>}
      {appId && app.data && (
        <SecretScope
          title={`Secrets of ${appId}`}
          names={app.data}
          onSave={async (key, value) => {
            await setApp.mutateAsync({ appId, key, value });
            await qc.invalidateQueries({ queryKey: trpc.secrets.appList.queryKey({ appId }) });
            return `Saved ${key}`;
          }}
          onDelete={async (key) => {
            await deleteApp.mutateAsync({ appId, key });
            await qc.invalidateQueries({ queryKey: trpc.secrets.appList.queryKey({ appId }) });
          }}
        />
      )}
    </section>
  );
}
