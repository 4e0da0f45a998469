"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useMemo, useState } from "react";
import { Button } from "../components/button.tsx";
import { FormError } from "../components/form-field.tsx";
import { useToast } from "../components/toast.tsx";
import { useTRPC } from "../trpc.ts";
import { manifestError } from "./manifest-error.ts";
import { EditorTabs, useEditorMode } from "./schema-editor/editor-tabs.tsx";
import { parseDraft, serialize, type Draft } from "./schema-editor/manifest-draft.ts";
import { SchemaEditor } from "./schema-editor/schema-editor.tsx";
import { SchemaChanges, type SchemaChange } from "./schema-changes.tsx";

interface Props {
  title: string;
  initialText?: string;
  /** Re-installing this app: its id is fixed, and edits that touch stored values are pointed out. */
  installed?: Draft;
}

const changesText = (n: number) => `${n} schema change${n === 1 ? "" : "s"} applied`;

/**
 * Install or update an app from its manifest, written in a form or as JSON: preview what the install would
 * change, then install exactly the text that was previewed (editing it again asks for a new preview, so nothing
 * unseen is applied). Changes that would lose or alter existing rows are shown in red and install only once
 * the person accepts that loss; changes existing rows prevent cannot be installed at all.
 */
export function ManifestPanel({ title, initialText = "", installed }: Props) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const apps = useQuery(trpc.apps.list.queryOptions());
  const verify = useMutation(trpc.apps.verify.mutationOptions());
  const install = useMutation(trpc.apps.install.mutationOptions());
  const headingId = useId();
  const acceptId = useId();
  const [mode, setMode] = useEditorMode();
  const [text, setText] = useState(initialText);
  const [preview, setPreview] = useState<{ text: string; changes: SchemaChange[] }>();
  const [error, setError] = useState<string>();
  const [acceptLoss, setAcceptLoss] = useState(false);
  const parsed = useMemo(() => parseDraft(text), [text]);
  const draft = "draft" in parsed ? parsed.draft : undefined;
  const installedFields = useMemo(() => new Map((installed?.dataContract ?? []).map((e) => [e.entityName, new Set(e.fields.map((f) => f.name))])), [installed]);

  function parse(): unknown {
    try {
      return JSON.parse(text);
    } catch (err) {
      setError(`The manifest is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  async function runPreview() {
    setError(undefined);
    setPreview(undefined);
    setAcceptLoss(false);
    const manifest = parse();
    if (manifest === undefined) return;
    try {
      const r = await verify.mutateAsync(manifest);
      setPreview({ text, changes: r.changes });
    } catch (err) {
      setError(manifestError(err, draft));
    }
  }

  async function runInstall() {
    setError(undefined);
    const manifest = parse();
    if (manifest === undefined) return;
    const appId = draft?.appId ?? "";
    const again = installed !== undefined || (apps.data ?? []).some((a) => a.id === appId);
    try {
      const r = await install.mutateAsync(lossy.length > 0 && acceptLoss ? { manifest, allowDataLoss: true } : manifest);
      setPreview(undefined);
      toast.success(`App ${appId} ${again ? "re-installed" : "installed"}: ${changesText(r.changes.length)}.`);
      await Promise.all([qc.invalidateQueries(trpc.apps.pathFilter()), qc.invalidateQueries(trpc.data.pathFilter())]);
    } catch (err) {
      setError(manifestError(err, draft));
    }
  }

  const previewed = preview !== undefined && preview.text === text;
  const lossy = preview?.changes.filter((c) => c.destructive) ?? [];
  const blocked = preview?.changes.filter((c) => c.blocking) ?? [];
  const lostRows = lossy.every((c) => typeof c.affectedRows === "number") ? lossy.reduce((n, c) => n + (c.affectedRows ?? 0), 0) : undefined;
  return (
    <section aria-labelledby={headingId} className="min-w-0 space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-700 dark:bg-slate-900">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id={headingId} className="text-lg font-semibold">
          {title}
        </h2>
        <EditorTabs mode={mode} onChange={setMode} />
      </div>
      {mode === "form" ? (
        draft ? (
          <SchemaEditor draft={draft} onChange={(d) => setText(serialize(d))} lockAppId={installed !== undefined} installed={installedFields} />
        ) : (
          <FormError>{"problem" in parsed ? `${parsed.problem} Fix it in the JSON tab to edit it here.` : undefined}</FormError>
        )
      ) : (
        <label className="block text-sm">
          <span className="mb-1 block font-medium text-slate-700 dark:text-slate-200">Manifest (JSON)</span>
          <textarea
            value={text}
            onChange={(e) => setText(e.target.value)}
            rows={14}
            spellCheck={false}
            className="w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-xs text-slate-900 shadow-sm focus:border-brand-500 focus:ring-1 focus:ring-brand-500 focus:outline-none dark:border-slate-600 dark:bg-slate-950 dark:text-slate-100"
          />
        </label>
      )}
      <div className="flex flex-wrap items-center gap-2">
        <Button type="button" variant="secondary" onClick={runPreview} disabled={!text.trim() || verify.isPending}>
          Preview changes
        </Button>
        <Button
          type="button"
          onClick={runInstall}
          disabled={install.isPending}
          disabledReason={!previewed ? "Preview the changes first." : blocked.length > 0 ? "Existing rows prevent some changes." : lossy.length > 0 && !acceptLoss ? "Accept the data loss first." : undefined}
        >
          Install
        </Button>
        {preview && !previewed && <span className="text-sm text-amber-800 dark:text-amber-300">The manifest changed since the preview; preview again.</span>}
      </div>
      {previewed && blocked.length > 0 && (
        <p role="note" aria-label="Blocked changes" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
          Existing rows prevent {blocked.length} change(s), marked in red below. Change those rows (or the manifest) and preview again.
        </p>
      )}
      {previewed && blocked.length === 0 && lossy.length > 0 && (
        <div role="group" aria-label="Data loss" className="space-y-2 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
          <p>
            This install loses or changes existing data: {lossy.length} change(s){lostRows !== undefined && ` touching ${lostRows} row(s)`}, marked in red below. It cannot be undone.
          </p>
          <label htmlFor={acceptId} className="flex items-center gap-2 font-medium">
            <input id={acceptId} type="checkbox" checked={acceptLoss} onChange={(e) => setAcceptLoss(e.target.checked)} />
            I accept losing this data
          </label>
        </div>
      )}
      <FormError>{error}</FormError>
      {preview &&
        (preview.changes.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">No changes: the database matches the manifest</p>
        ) : (
          <SchemaChanges changes={preview.changes} label="Schema changes" />
        ))}
    </section>
  );
}
