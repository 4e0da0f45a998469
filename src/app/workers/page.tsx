"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { errorSentence } from "../components/api-error.ts";
import { FormError } from "../components/form-field.tsx";
import { PageHeader } from "../components/page-header.tsx";
import { useTRPC } from "../trpc.ts";
import { AppWorkers } from "./app-workers.tsx";
import { DeployPanel } from "./deploy-panel.tsx";

/** Polled while the page is visible; React Query keeps the last answer on screen meanwhile, so nothing flickers. */
const REFRESH_MS = 3000;

/** Every app's backend: its worker processes per identity, start/stop/restart, deploys and their history. */
export default function WorkersPage() {
  const trpc = useTRPC();
  const apps = useQuery(trpc.apps.list.queryOptions());
  // refetchInterval pauses while the tab is hidden (React Query's default), so a background tab costs nothing.
  const workers = useQuery(trpc.workers.list.queryOptions({ detail: true }, { refetchInterval: REFRESH_MS }));
  const [deploying, setDeploying] = useState<string | undefined>();
  const error = apps.error ?? workers.error;

  return (
    <section className="min-w-0 space-y-6">
      <PageHeader
        title="Workers"
        breadcrumbs={[{ label: "Studio", href: "/" }, { label: "Workers" }]}
        description="Each app's backend runs as supervised Bun processes: one lifecycle worker, one for anonymous calls and one per user."
      />
      {error && <FormError>{errorSentence(error)}</FormError>}
      {apps.data?.length === 0 && (
        <div data-testid="workers-empty" className="space-y-2 rounded-lg border border-slate-200 bg-white p-4 text-sm text-slate-700 shadow-sm dark:border-slate-700 dark:bg-slate-900 dark:text-slate-300">
          <p>No app is installed, so no backend runs yet.</p>
          <p>
            Install an app under{" "}
            <Link href="/applications" className="font-medium text-brand-600 hover:underline dark:text-indigo-300">
              Apps
            </Link>
            , then come back here and use <strong>Deploy…</strong> to upload its backend: a <code className="font-mono">.tar.gz</code> whose root holds an
            entry point (<code className="font-mono">index.ts</code>, <code className="font-mono">main.ts</code> or <code className="font-mono">src/index.ts</code>) calling{" "}
            <code className="font-mono">serve(&#123; rpc, onStart &#125;)</code>, optionally a <code className="font-mono">package.json</code> and{" "}
            <code className="font-mono">migrations/*.sql</code>.
          </p>
        </div>
      )}
      {apps.data?.map((app) => (
        <AppWorkers
          key={app.id}
          appId={app.id}
          state={workers.data?.workers[app.id]}
          workers={workers.data ? (workers.data.details?.[app.id] ?? []) : undefined}
          loading={workers.isPending}
          onDeploy={() => setDeploying(app.id)}
        />
      ))}
      <DeployPanel appId={deploying} onClose={() => setDeploying(undefined)} />
    </section>
  );
}
