"use client";
import { useParams } from "next/navigation";
import { useId, useState } from "react";
import { errorSentence } from "../../components/api-error.ts";
import { Button } from "../../components/button.tsx";
import { FormField } from "../../components/form-field.tsx";
import { useToast } from "../../components/toast.tsx";
import { downloadFile, uploadMultipart } from "../../storage/transfer.ts";
import { formatBytes } from "../../workers/format.ts";
import type { FieldDef } from "../field-values.ts";

/**
 * Manifest fields of type `file` hold the id of a file in the app's storage (spec §2.11). The data browser
 * uploads into it through `POST /apps/{id}/storage/upload` and offers the file back as a download. Both read
 * the app from the page's address: the browser lives under /applications/[appId].
 */
const useAppId = () => useParams<{ appId: string }>().appId;
const appFileUrl = (appId: string, fileId: string) => `/api/v1/apps/${encodeURIComponent(appId)}/storage/${encodeURIComponent(fileId)}`;
const shortId = (id: string) => id.slice(0, 8);

function useDownload(fileId: string) {
  const appId = useAppId();
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    try {
      await downloadFile(appFileUrl(appId, fileId), `file-${shortId(fileId)}`);
    } catch (err) {
      toast.error(err, "Not downloaded");
    } finally {
      setBusy(false);
    }
  };
  return { busy, download };
}

const LINK = "font-medium text-brand-600 hover:underline disabled:opacity-50 dark:text-indigo-300";

/** A file field's grid cell: a download link for the stored file, nothing when the field is empty. */
export function FileCell({ value, label }: { value: unknown; label: string }) {
  const fileId = typeof value === "string" && value !== "" ? value : undefined;
  if (!fileId) return null;
  return <FileLink fileId={fileId} label={label} />;
}

function FileLink({ fileId, label }: { fileId: string; label: string }) {
  const { busy, download } = useDownload(fileId);
  return (
    <button type="button" data-testid="file-download" className={LINK} title={fileId} aria-label={`Download ${label}`} disabled={busy} onClick={() => void download()}>
      Download file {shortId(fileId)}
    </button>
  );
}

interface InputProps {
  field: FieldDef;
  value: string;
  error?: string;
  onChange: (fileId: string) => void;
}

type Upload = { state: "idle" } | { state: "uploading"; loaded: number; total: number } | { state: "done"; name: string; size: number } | { state: "failed"; error: string };

/**
 * A file field in the record form: the stored file's download link, a picker that uploads at once into the
 * app's storage (with its progress) and puts the new file's id in the field, and Remove to empty it.
 */
export function FileFieldInput({ field, value, error, onChange }: InputProps) {
  const appId = useAppId();
  const [upload, setUpload] = useState<Upload>({ state: "idle" });
  const [inputKey, setInputKey] = useState(0);
  const progressId = useId();

  async function choose(file: File) {
    setUpload({ state: "uploading", loaded: 0, total: file.size });
    try {
      const answer = await uploadMultipart({
        url: `/api/v1/apps/${encodeURIComponent(appId)}/storage/upload`,
        file,
        onProgress: (p) => setUpload({ state: "uploading", loaded: p.loaded, total: p.total }),
      });
      const fileId = (answer as { file_id?: unknown } | null)?.file_id;
      if (typeof fileId !== "string") throw new Error("The Core's answer had no file id.");
      setUpload({ state: "done", name: file.name, size: file.size });
      onChange(fileId);
    } catch (err) {
      setUpload({ state: "failed", error: errorSentence(err) });
    } finally {
      setInputKey((k) => k + 1);
    }
  }

  const percent = upload.state === "uploading" ? Math.floor((100 * upload.loaded) / Math.max(1, upload.total)) : 100;
  const shownError = upload.state === "failed" ? upload.error : error;
  return (
    <div className="space-y-2">
      <FormField
        key={inputKey}
        kind="file"
        label={field.name}
        name={field.name}
        disabled={upload.state === "uploading"}
        error={shownError}
        hint={`a file, uploaded into ${appId}'s storage at once (at most 50 MiB)${field.required ? ", required" : ""}`}
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file) void choose(file);
        }}
      />
      {upload.state === "uploading" && (
        <div className="space-y-1 text-sm">
          <label htmlFor={progressId} className="block text-slate-700 dark:text-slate-300">
            Uploading… {percent}%
          </label>
          <progress id={progressId} data-testid="file-upload-progress" className="w-full" max={100} value={percent} />
        </div>
      )}
      {value !== "" && (
        <div className="flex flex-wrap items-center gap-3 text-sm" data-testid={`file-value-${field.name}`}>
          {upload.state === "done" && (
            <span className="text-slate-700 dark:text-slate-300">
              Uploaded {upload.name} ({formatBytes(upload.size)}).
            </span>
          )}
          <FileLink fileId={value} label={`the file in ${field.name}`} />
          <Button
            type="button"
            variant="secondary"
            aria-label={`Remove the file from ${field.name}`}
            onClick={() => {
              setUpload({ state: "idle" });
              onChange("");
            }}
          >
            Remove
          </Button>
        </div>
      )}
    </div>
  );
}
