"use client";
import { useMemo } from "react";
import { usePermissions } from "../../components/permissions.tsx";
import { INSTALL, SELF_SERVICE } from "../app-permissions.ts";
import { ManifestPanel } from "../manifest-panel.tsx";
import { parseDraft } from "../schema-editor/manifest-draft.ts";

/**
 * The installed manifest, to edit (in the form or as JSON), preview and re-install. Shown to whoever may
 * install apps; self-service users too, since the server lets them re-install the apps they installed.
 */
export function ReinstallPanel({ manifest }: { manifest: unknown }) {
  const { ready, can } = usePermissions();
  const text = useMemo(() => JSON.stringify(manifest, null, 2), [manifest]);
  const installed = useMemo(() => {
    const parsed = parseDraft(text);
    return "draft" in parsed ? parsed.draft : undefined;
  }, [text]);
  if (!ready) return null;
  if (!can(INSTALL) && !can(SELF_SERVICE)) {
    return (
      <p data-testid="reinstall-forbidden" className="rounded-md border border-slate-200 bg-white px-4 py-3 text-sm text-slate-700 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-300">
        Changing this app&apos;s schema requires the permission {INSTALL}.
      </p>
    );
  }
  return <ManifestPanel title="Re-install / update manifest" initialText={text} installed={installed} />;
}
