"use client";
import { useEffect, useRef, useState } from "react";
import { FormError } from "../components/form-field.tsx";

/** Enough to recognise a document; the rest is for the download. */
const MAX_PAGES = 5;
/** The side panel's inner width, in CSS pixels. */
const WIDTH = 480;

/**
 * The first pages of a PDF drawn by pdf.js onto canvases. pdf.js is loaded only when a PDF is previewed, and
 * parses in its own module worker served from this origin (the Studio's script policy allows nothing else).
 */
export function PdfPreview({ blob, name }: { blob: Blob; name: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<{ pages: number; shown: number } | { error: string } | undefined>();

  useEffect(() => {
    let cancelled = false;
    let destroy: (() => Promise<void>) | undefined;
    (async () => {
      const pdfjs = await import("pdfjs-dist");
      pdfjs.GlobalWorkerOptions.workerPort ??= new Worker(new URL("pdfjs-dist/build/pdf.worker.min.mjs", import.meta.url), { type: "module" });
      const task = pdfjs.getDocument({ data: new Uint8Array(await blob.arrayBuffer()) });
      destroy = () => task.destroy();
      const doc = await task.promise;
      const shown = Math.min(doc.numPages, MAX_PAGES);
      for (let n = 1; n <= shown && !cancelled; n++) {
        const page = await doc.getPage(n);
        const unscaled = page.getViewport({ scale: 1 });
        const viewport = page.getViewport({ scale: (WIDTH / unscaled.width) * (window.devicePixelRatio || 1) });
        const canvas = document.createElement("canvas");
        canvas.width = Math.floor(viewport.width);
        canvas.height = Math.floor(viewport.height);
        canvas.setAttribute("role", "img");
        canvas.setAttribute("aria-label", `Page ${n} of ${name}`);
        canvas.className = "w-full rounded border border-slate-200 bg-white dark:border-slate-700";
        await page.render({ canvas, viewport }).promise;
        if (!cancelled) box.current?.append(canvas);
      }
      if (!cancelled) setState({ pages: doc.numPages, shown });
    })().catch((err: unknown) => {
      if (!cancelled) setState({ error: err instanceof Error && err.name === "InvalidPDFException" ? "This file is not a readable PDF." : "The PDF could not be drawn." });
    });
    const target = box.current;
    return () => {
      cancelled = true;
      void destroy?.();
      target?.replaceChildren();
    };
  }, [blob, name]);

  return (
    <div className="space-y-2">
      <div ref={box} data-testid="preview-pdf" className="space-y-2" />
      {state === undefined && <p className="text-sm text-slate-600 dark:text-slate-400">Drawing the PDF…</p>}
      {state && "error" in state && <FormError>{state.error}</FormError>}
      {state && "pages" in state && state.pages > state.shown && (
        <p className="text-sm text-slate-600 dark:text-slate-400">
          The first {state.shown} of {state.pages} pages; download the file for the rest.
        </p>
      )}
    </div>
  );
}
