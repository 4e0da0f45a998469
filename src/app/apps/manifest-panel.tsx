"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useTRPC } from "../trpc.ts";
import { Button, ErrorText, errorMessage } from "../ui.tsx";
import { SchemaChanges, type SchemaChange } from "./schema-changes.tsx";

interface Props {
  title: string;
  initialText?: string;
}

/**
 * Install or update an app from its manifest: preview what the install would change, then install exactly the
 * text that was previewed (editing it again asks for a new preview, so nothing unseen is applied). Changes that
 * would lose or alter existing rows are shown in red and install only once the person accepts that loss;
 * changes existing rows prevent cannot be installed at all.
 */
export function ManifestPanel({ title, initialText = "" }: Props) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const verify = useMutation(trpc.apps.verify.mutationOptions());
  const install = useMutation(trpc.apps.install.mutationOptions());
  const headingId = useId();
  const [text, setText] = useState(initialText);
  const [preview, setPreview] = useState<{ text: string; changes: SchemaChange[] }>();
  const [error, setError] = useState<string>();
  const [installed, setInstalled] = useState<string>();
  const [acceptLoss, setAcceptLoss] = useState(false);
  const acceptId = useId();

  function parse(): unknown {
    try {
      return JSON.parse(text);
    } catch (err) {
      setError(`The manifest is not valid JSON: ${errorMessage(err)}`);
      return undefined;
    }
  }

  async function runPreview() {
    setError(undefined);
    setInstalled(undefined);
    setPreview(undefined);
    setAcceptLoss(false);
    const manifest = parse();
    if (manifest === undefined) return;
    try {
      const r = await verify.mutateAsync(manifest);
      setPreview({ text, changes: r.changes });
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  async function runInstall() {
    setError(undefined);
    const manifest = parse();
    if (manifest === undefined) return;
    try {
      const r = await install.mutateAsync(lossy.length > 0 && acceptLoss ? { manifest, allowDataLoss: true } : manifest);
      setPreview(undefined);
      setInstalled(`${r.message}: ${r.changes.length} schema change(s) applied`);
      await Promise.all([qc.invalidateQueries(trpc.apps.pathFilter()), qc.invalidateQueries(trpc.data.pathFilter())]);
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  const previewed = preview !== undefined && preview.text === text;
  const lossy = preview?.changes.filter((c) => c.destructive) ?? [];
  const blocked = preview?.changes.filter((c) => c.blocking) ?? [];
  const lostRows = lossy.every((c) => typeof c.affectedRows === "number") ? lossy.reduce((n, c) => n + (c.affectedRows ?? 0), 0) : undefined;
  return (
    <section aria-labelledby={headingId} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <h2 id={headingId} className="text-lg font-semibold">
        {title}
      </h2>
      <label className="block text-sm">
        <span className="mb-1 block font-medium text-slate-700">Manifest (JSON)</span>
        <textarea
          value={text}
          onChange={(e) => setText(e.target.value)}
          rows={12}
          spellCheck={false}
          className="w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-xs shadow-sm focus:border-brand-500 focus:outline-none focus:ring-1 focus:ring-brand-500"
        />
      </label>
      <div className="flex gap-2">
        <Button variant="secondary" onClick={runPreview} disabled={!text.trim() || verify.isPending}>
          Preview changes
        </Button>
        <Button onClick={runInstall} disabled={!previewed || install.isPending || blocked.length > 0 || (lossy.length > 0 && !acceptLoss)}>
          Install
        </Button>
        {preview && !previewed && <span className="self-center text-sm text-amber-700">The manifest changed since the preview; preview again.</span>}
      </div>
      {previewed && blocked.length > 0 && (
        <p role="note" aria-label="Blocked changes" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">
          Existing rows prevent {blocked.length} change(s), marked in red below. Change those rows (or the manifest) and preview again.
        </p>
      )}
      {previewed && blocked.length === 0 && lossy.length > 0 && (
        <div role="group" aria-label="Data loss" className="space-y-2 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">
          <p>
            This install loses or changes existing data: {lossy.length} change(s){lostRows !== undefined && ` touching ${lostRows} row(s)`}, marked in red below. It cannot be undone.
          </p>
          <label htmlFor={acceptId} className="flex items-center gap-2 font-medium">
            <input id={acceptId} type="checkbox" checked={acceptLoss} onChange={(e) => setAcceptLoss(e.target.checked)} />
            I accept losing this data
          </label>
        </div>
      )}
      <ErrorText>{error}</ErrorText>
      {installed && (
        <p role="status" className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
          {installed}
        </p>
      )}
      {preview &&
        (preview.changes.length === 0 ? (
          <p className="text-sm text-slate-600">No changes: the database matches the manifest</p>
        ) : (
          <SchemaChanges changes={preview.changes} label="Schema changes" />
        ))}
    </section>
  );
}
