"use client";
import { useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { Suspense } from "react";
import { errorSentence } from "../../components/api-error.ts";
import { FormError } from "../../components/form-field.tsx";
import { PageHeader } from "../../components/page-header.tsx";
import { useTRPC } from "../../trpc.ts";
import { AppBackendLinks } from "../../workers/app-backend-links.tsx";
import { SYSTEM_NAMES } from "../field-values.ts";
import { DataBrowser } from "./data-browser.tsx";
import { PublicShares } from "./public-shares.tsx";
import { ReinstallPanel } from "./reinstall-panel.tsx";
import { SchemaHistory } from "./schema-history.tsx";
import { UninstallApp } from "./uninstall-app.tsx";
import { DEFAULT_SORT, useViewState } from "./view-state.ts";

/** One app: its entities' records, its manifest (to preview and apply an update), its schema history. */
export default function AppPage() {
  // useSearchParams (the browser's view state) needs a Suspense boundary above it.
  return (
    <Suspense fallback={<p className="text-slate-600 dark:text-slate-400">Loading app…</p>}>
      <AppView />
    </Suspense>
  );
}

function AppView() {
  const { appId } = useParams<{ appId: string }>();
  const trpc = useTRPC();
  const app = useQuery(trpc.apps.get.queryOptions({ id: appId }));
  const [view, setView] = useViewState();

  if (app.isError) return <FormError>{errorSentence(app.error)}</FormError>;
  if (!app.data) return <p className="text-slate-600 dark:text-slate-400">Loading app…</p>;
  const entities = app.data.dataContract;
  const entity = entities.find((e) => e.entityName === view.entity) ?? entities[0];
  // Every record has these; a manifest may declare them, but they are not the person's to edit.
  const fields = entity?.fields.filter((f) => !SYSTEM_NAMES.has(f.name)) ?? [];

  return (
    <section className="min-w-0 space-y-6">
      <PageHeader
        title={app.data.name}
        breadcrumbs={[{ label: "Studio", href: "/" }, { label: "Apps", href: "/applications" }, { label: app.data.id }]}
        description={
          <span className="font-mono">
            {app.data.id} · version {app.data.version} · {app.data.status}
          </span>
        }
        actions={
          <>
            <AppBackendLinks appId={app.data.id} />
            <UninstallApp appId={app.data.id} />
          </>
        }
      />

      <section aria-labelledby="data-heading" className="min-w-0 space-y-3">
        <h2 id="data-heading" className="text-lg font-semibold">
          Data
        </h2>
        {entities.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">This app declares no entities.</p>
        ) : (
          <div role="tablist" aria-label="Entities" className="flex flex-wrap gap-1 border-b border-slate-200 dark:border-slate-700">
            {entities.map((e) => (
              <button
                key={e.entityName}
                type="button"
                role="tab"
                aria-selected={e === entity}
                // Another entity starts from the default view: its fields differ, so the filter would not apply.
                onClick={() => setView({ entity: e.entityName, conditions: [], page: 1, sort: DEFAULT_SORT })}
                className={`-mb-px rounded-t-md border px-3 py-1.5 font-mono text-sm ${
                  e === entity
                    ? "border-slate-200 border-b-white bg-white dark:border-slate-700 dark:border-b-slate-900 dark:bg-slate-900"
                    : "border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white"
                }`}
              >
                {e.entityName}
              </button>
            ))}
          </div>
        )}
        {entity && (
          <div role="tabpanel" aria-label={entity.entityName} className="min-w-0">
            <DataBrowser key={entity.entityName} appId={app.data.id} entity={entity.entityName} fields={fields} />
          </div>
        )}
      </section>

      <ReinstallPanel manifest={app.data.manifest} />
      <SchemaHistory appId={app.data.id} />
      <PublicShares appId={app.data.id} />
    </section>
  );
}
