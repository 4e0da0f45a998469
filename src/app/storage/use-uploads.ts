"use client";
import pLimit from "p-limit";
import { useCallback, useRef, useState } from "react";
import { errorSentence } from "../components/api-error.ts";
import { uploadMultipart } from "./transfer.ts";

export interface UploadItem {
  key: number;
  name: string;
  size: number;
  loaded: number;
  status: "uploading" | "done" | "failed";
  /** The Core's refusal as a sentence, for a failed upload. */
  error?: string;
}

export interface UploadTarget {
  url: string;
  fields?: Record<string, string>;
}

export interface BatchResult {
  uploaded: string[];
  failed: { name: string; error: string }[];
}

/**
 * Uploads files side by side, each with its own progress; the items stay listed (finished at 100 %, failed with
 * the Core's reason) until cleared, so a quick upload's bar is not gone before it is seen.
 */
/** The Core takes at most 3 uploads at once from one caller (429 beyond): the rest of a batch waits its turn. */
const UPLOADS_AT_ONCE = 3;

export function useUploads() {
  const [items, setItems] = useState<UploadItem[]>([]);
  const next = useRef(0);
  const patch = useCallback((key: number, change: Partial<UploadItem>) => setItems((all) => all.map((i) => (i.key === key ? { ...i, ...change } : i))), []);

  const start = useCallback(
    async (files: File[], target: UploadTarget): Promise<BatchResult> => {
      const batch = files.map((file) => ({ file, key: ++next.current }));
      setItems((all) => [...all, ...batch.map(({ file, key }): UploadItem => ({ key, name: file.name, size: file.size, loaded: 0, status: "uploading" }))]);
      const limit = pLimit(UPLOADS_AT_ONCE);
      const settled = await Promise.allSettled(
        batch.map(({ file, key }) =>
          limit(() => uploadMultipart({ url: target.url, file, fields: target.fields, onProgress: (p) => patch(key, { loaded: p.loaded }) })).then(
            () => patch(key, { status: "done", loaded: file.size }),
            (err: unknown) => {
              const error = errorSentence(err);
              patch(key, { status: "failed", error });
              throw new Error(error);
            },
          ),
        ),
      );
      const result: BatchResult = { uploaded: [], failed: [] };
      settled.forEach((s, i) => {
        const name = batch[i]!.file.name;
        if (s.status === "fulfilled") result.uploaded.push(name);
        else result.failed.push({ name, error: (s.reason as Error).message });
      });
      return result;
    },
    [patch],
  );

  const clearFinished = useCallback(() => setItems((all) => all.filter((i) => i.status === "uploading")), []);
  return { items, start, clearFinished };
}
