"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "../../trpc.ts";
import { ErrorText } from "../../ui.tsx";
import { ManifestPanel } from "../manifest-panel.tsx";
import { DataBrowser } from "./data-browser.tsx";
import { SchemaHistory } from "./schema-history.tsx";
import { UninstallApp } from "./uninstall-app.tsx";

// Every record has these; a manifest may declare them, but they are not the person's to edit.
const SYSTEM_COLUMNS = new Set(["id", "created_at", "updated_at"]);

/** One app: its entities' records, its manifest (to preview and apply an update), its schema history. */
export default function AppPage() {
  const { appId } = useParams<{ appId: string }>();
  const trpc = useTRPC();
  const app = useQuery(trpc.apps.get.queryOptions({ id: appId }));
  const [selected, setSelected] = useState<string>();

  if (app.isError) return <ErrorText>{app.error.message}</ErrorText>;
  if (!app.data) return <p className="text-slate-500">Loading app…</p>;
  const entities = app.data.dataContract;
  const entity = entities.find((e) => e.entityName === selected) ?? entities[0];
  const fields = entity?.fields.filter((f) => !SYSTEM_COLUMNS.has(f.name)) ?? [];

  return (
    <section className="space-y-6">
      <header className="flex items-end justify-between gap-4">
        <div>
          <p className="text-sm">
            <Link href="/apps" className="text-brand-600 hover:underline">
              Apps
            </Link>
          </p>
          <h1 className="text-2xl font-bold tracking-tight">{app.data.name}</h1>
          <p className="font-mono text-sm text-slate-500">
            {app.data.id} · version {app.data.version} · {app.data.status}
          </p>
        </div>
        <UninstallApp appId={app.data.id} />
      </header>

      <section aria-labelledby="data-heading" className="space-y-3">
        <h2 id="data-heading" className="text-lg font-semibold">
          Data
        </h2>
        {entities.length === 0 ? (
          <p className="text-sm text-slate-500">This app declares no entities.</p>
        ) : (
          <div role="tablist" aria-label="Entities" className="flex gap-1 border-b border-slate-200">
            {entities.map((e) => (
              <button
                key={e.entityName}
                type="button"
                role="tab"
                aria-selected={e === entity}
                onClick={() => setSelected(e.entityName)}
                className={`-mb-px rounded-t-md border px-3 py-1.5 font-mono text-sm ${e === entity ? "border-slate-200 border-b-white bg-white" : "border-transparent text-slate-500 hover:text-slate-800"}`}
              >
                {e.entityName}
              </button>
            ))}
          </div>
        )}
        {entity && (
          <div role="tabpanel" aria-label={entity.entityName}>
            <DataBrowser key={entity.entityName} appId={app.data.id} entity={entity.entityName} fields={fields} />
          </div>
        )}
      </section>

      <ManifestPanel title="Re-install / update manifest" initialText={JSON.stringify(app.data.manifest, null, 2)} />
      <SchemaHistory appId={app.data.id} />
    </section>
  );
}
