"use client";
import { Button } from "../components/button.tsx";
import { formatBytes } from "../workers/format.ts";
import type { UploadItem } from "./use-uploads.ts";

/** One progress bar per file, with its outcome; finished ones stay until "Clear finished". */
export function UploadList({ items, onClear }: { items: UploadItem[]; onClear: () => void }) {
  if (items.length === 0) return null;
  const finished = items.some((i) => i.status !== "uploading");
  return (
    <section aria-label="Uploads" className="space-y-2 rounded-lg border border-slate-200 bg-white p-3 shadow-sm dark:border-slate-700 dark:bg-slate-900">
      <div className="flex items-center justify-between gap-2">
        <h2 className="text-sm font-semibold">Uploads</h2>
        <Button variant="secondary" disabled={!finished} onClick={onClear}>
          Clear finished
        </Button>
      </div>
      <ul className="space-y-2">
        {items.map((item) => {
          const percent = Math.floor((100 * item.loaded) / Math.max(1, item.size));
          const state = item.status === "done" ? "uploaded" : item.status === "failed" ? "failed" : `${percent}%`;
          return (
            <li key={item.key} data-testid="upload-item" data-status={item.status} className="min-w-0 space-y-1 text-sm">
              <div className="flex min-w-0 justify-between gap-2">
                <span className="truncate" title={item.name}>
                  {item.name} <span className="text-slate-600 dark:text-slate-400">({formatBytes(item.size)})</span>
                </span>
                <span className="shrink-0 text-slate-700 dark:text-slate-300">{state}</span>
              </div>
              <progress
                aria-label={`Upload of ${item.name}`}
                data-testid="upload-progress"
                className="w-full"
                max={100}
                value={item.status === "failed" ? 0 : item.status === "done" ? 100 : percent}
              />
              {item.error && (
                <p role="alert" className="text-red-700 dark:text-red-400">
                  {item.error}
                </p>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
