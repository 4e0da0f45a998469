"use client";
import { useEffect, useState } from "react";
import { errorSentence } from "../components/api-error.ts";
import { FormError } from "../components/form-field.tsx";
import type { PreviewKind } from "./model.ts";
import { PdfPreview } from "./pdf-preview.tsx";
import { fetchFile } from "./transfer.ts";

/** Previews are fetched whole into the page; past this size the person downloads instead. */
export const PREVIEW_MAX_BYTES = 20 * 1024 * 1024;

interface Props {
  url: string;
  name: string;
  kind: PreviewKind;
}

/**
 * An image or PDF shown inside the page, fetched with the caller's token (an <img src> to the Core would
 * carry none). PDFs are drawn by pdf.js onto canvases: the Studio's policy forbids plugins (object-src
 * 'none'), which is what the browser's own PDF viewer is.
 */
export function ObjectPreview({ url, name, kind }: Props) {
  const [blob, setBlob] = useState<Blob>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let live = true;
    fetchFile(url).then(
      (file) => live && setBlob(file.blob),
      (err: unknown) => live && setError(errorSentence(err)),
    );
    return () => {
      live = false;
    };
  }, [url]);

  if (error) return <FormError>{`The preview could not be loaded: ${error}`}</FormError>;
  if (!blob) return <p className="text-sm text-slate-600 dark:text-slate-400">Loading preview…</p>;
  return kind === "image" ? <ImagePreview blob={blob} name={name} /> : <PdfPreview blob={blob} name={name} />;
}

function ImagePreview({ blob, name }: { blob: Blob; name: string }) {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    const href = URL.createObjectURL(blob);
    setSrc(href);
    return () => URL.revokeObjectURL(href);
  }, [blob]);
  if (!src) return null;
  return <img data-testid="preview-image" src={src} alt={`Preview of ${name}`} className="max-h-[60vh] max-w-full rounded border border-slate-200 object-contain dark:border-slate-700" />;
}
