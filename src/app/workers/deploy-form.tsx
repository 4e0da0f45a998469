"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { errorSentence, toFormErrors } from "../components/api-error.ts";
import { Button } from "../components/button.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { forbiddenReason, useCan } from "../components/permissions.tsx";
import { useToast } from "../components/toast.tsx";
import { useFormErrors } from "../components/use-form-errors.ts";
import { useTRPC } from "../trpc.ts";
import { formatBytes } from "./format.ts";
import { uploadArchive, type UploadProgress } from "./upload.ts";
import { DEPLOY } from "./worker-permissions.ts";

const FIELDS = ["archive"] as const;
/** The Core's limit (spec §2.5); a bigger file is refused here before a minute of uploading. */
const MAX_ARCHIVE_BYTES = 50 * 1024 * 1024;

type Phase =
  | { kind: "idle" }
  | { kind: "uploading"; progress: UploadProgress }
  | { kind: "installing" }
  /** Kept on screen after success, so the completed upload stays visible until the next one. */
  | { kind: "done"; name: string; size: number; installFailed?: string };

function migrationsSentence(applied: string[]): string {
  if (applied.length === 0) return "No new migrations.";
  return `Migrations applied: ${applied.join(", ")}.`;
}

/**
 * Uploads a .tar.gz of the app's backend with a real progress bar; the Core then extracts it, installs its
 * packages, applies its migrations and restarts the workers. The answer's migrations are said in a toast, a
 * refusal next to the file field.
 */
export function DeployForm({ appId }: { appId: string }) {
  const mayDeploy = useCan(DEPLOY);
  const toast = useToast();
  const qc = useQueryClient();
  const trpc = useTRPC();
  const { errors, set, clear } = useFormErrors(FIELDS);
  const [file, setFile] = useState<File | null>(null);
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  // A file input cannot be cleared through React state: a new key mounts an empty one.
  const [inputKey, setInputKey] = useState(0);
  const progressId = useId();
  const busy = phase.kind === "uploading" || phase.kind === "installing";

  async function submit() {
    clear();
    if (!file) return set("archive", "Choose a .tar.gz archive of the app's backend.");
    if (!/\.(tar\.gz|tgz)$/i.test(file.name)) return set("archive", `${file.name} is not a .tar.gz archive.`);
    if (file.size > MAX_ARCHIVE_BYTES) return set("archive", `${file.name} is ${formatBytes(file.size)}; an archive may be at most 50 MiB.`);
    setPhase({ kind: "uploading", progress: { loaded: 0, total: file.size } });
    try {
      const result = await uploadArchive(appId, file, (progress) =>
        setPhase(progress.loaded >= progress.total ? { kind: "installing" } : { kind: "uploading", progress }),
      );
      toast.success(`Deployed ${appId}. ${migrationsSentence(result.migrationsApplied)}`);
      const installFailed = result.install && !result.install.ok ? result.install.output || "No output." : undefined;
      setPhase({ kind: "done", name: file.name, size: file.size, ...(installFailed !== undefined ? { installFailed } : {}) });
      setFile(null);
      setInputKey((k) => k + 1);
    } catch (err) {
      setPhase({ kind: "idle" });
      // Every refusal of a deploy concerns the archive: say it next to the file field.
      const e = toFormErrors(err, FIELDS);
      set("archive", e.fields.archive ?? e.form ?? errorSentence(err));
    } finally {
      // States, details and the deploy history are all under the workers router.
      await qc.invalidateQueries(trpc.workers.pathFilter());
    }
  }

  const percent = phase.kind === "uploading" ? Math.floor((100 * phase.progress.loaded) / Math.max(1, phase.progress.total)) : 100;
  const progressLabel =
    phase.kind === "uploading"
      ? `Uploading… ${percent}%`
      : phase.kind === "installing"
        ? "Uploaded. Installing and restarting the workers…"
        : phase.kind === "done"
          ? `Uploaded ${phase.name} (${formatBytes(phase.size)}) and deployed.`
          : "";
  return (
    <form
      noValidate
      aria-label={`Deploy ${appId}`}
      className="space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <FormField
        key={inputKey}
        kind="file"
        label="Archive (.tar.gz)"
        name="archive"
        accept=".tar.gz,.tgz,application/gzip"
        disabled={busy || !mayDeploy}
        error={errors.fields.archive}
        hint="The backend's files at the archive's root: an entry point (index.ts, main.ts, src/index.ts …), optionally package.json and migrations/*.sql. At most 50 MiB."
        onChange={(e) => {
          clear("archive");
          setPhase({ kind: "idle" });
          setFile(e.target.files?.[0] ?? null);
        }}
      />
      <FormError>{errors.form}</FormError>
      {phase.kind !== "idle" && (
        <div className="space-y-1 text-sm">
          <label htmlFor={progressId} data-testid="deploy-progress-label" className="block text-slate-700 dark:text-slate-300">
            {progressLabel}
          </label>
          <progress id={progressId} data-testid="deploy-progress" className="w-full" max={100} value={percent}>
            {percent}%
          </progress>
        </div>
      )}
      {phase.kind === "done" && phase.installFailed !== undefined && (
        <div role="alert" className="space-y-1 text-sm text-red-800 dark:text-red-200">
          <p>The archive was deployed, but installing its packages (bun install) failed, so packages it needs may be missing. What bun said:</p>
          <pre className="max-h-48 overflow-auto rounded-md bg-slate-900 p-2 font-mono text-xs whitespace-pre-wrap text-slate-100">{phase.installFailed}</pre>
        </div>
      )}
      <Button type="submit" disabled={busy} disabledReason={mayDeploy ? undefined : forbiddenReason(DEPLOY)}>
        {busy ? "Deploying…" : "Deploy"}
      </Button>
    </form>
  );
}
