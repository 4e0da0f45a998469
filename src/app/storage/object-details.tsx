"use client";
import { Button } from "../components/button.tsx";
import { formatBytes } from "../workers/format.ts";
import { previewKind, type StorageObject } from "./model.ts";
import { ObjectPreview, PREVIEW_MAX_BYTES } from "./object-preview.tsx";
import { objectUrl } from "./urls.ts";

interface Props {
  bucket: string;
  object: StorageObject;
  /** Undefined when the caller may read the bucket, else why the buttons are disabled. */
  readReason?: string;
  onDownload: () => void;
  onCopyLink: () => void;
}

/** A file's facts, its preview when it is an image or a PDF, and the download and signed-link buttons. */
export function ObjectDetails({ bucket, object, readReason, onDownload, onCopyLink }: Props) {
  const kind = previewKind(object);
  const facts: [string, string][] = [
    ["Type", object.content_type ?? "—"],
    ["Size", formatBytes(object.size)],
    ["Uploaded", new Date(object.created_at).toLocaleString()],
    ["SHA-256", object.sha256 ?? "—"],
  ];
  return (
    <div className="space-y-4">
      <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-4 gap-y-1 text-sm">
        {facts.map(([term, value]) => (
          <div key={term} className="contents">
            <dt className="text-slate-600 dark:text-slate-400">{term}</dt>
            <dd className="break-all font-mono text-xs leading-5">{value}</dd>
          </div>
        ))}
      </dl>
      <div className="flex flex-wrap gap-2">
        <Button disabledReason={readReason} onClick={onDownload}>
          Download
        </Button>
        <Button variant="secondary" disabledReason={readReason} onClick={onCopyLink}>
          Copy signed link
        </Button>
      </div>
      {kind && readReason === undefined && (object.size ?? 0) <= PREVIEW_MAX_BYTES && <ObjectPreview url={objectUrl(bucket, object.id)} name={object.name} kind={kind} />}
      {kind && (object.size ?? 0) > PREVIEW_MAX_BYTES && (
        <p className="text-sm text-slate-600 dark:text-slate-400">Files over {formatBytes(PREVIEW_MAX_BYTES)} are not previewed; download it instead.</p>
      )}
    </div>
  );
}
