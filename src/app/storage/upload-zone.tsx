"use client";
import { useState, type DragEvent, type ReactNode } from "react";
import { FormField } from "../components/form-field.tsx";

interface Props {
  /** Undefined when the caller may upload here; else why not (the picker is disabled, drops are ignored). */
  disabledReason?: string;
  hint: ReactNode;
  onFiles: (files: File[]) => void;
  children: ReactNode;
}

const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer.types).includes("Files");

/**
 * The folder's drop target and file picker: files dropped anywhere on the listing, or chosen with the picker,
 * are uploaded into the folder shown.
 */
export function UploadZone({ disabledReason, hint, onFiles, children }: Props) {
  const [over, setOver] = useState(false);
  // A file input cannot be cleared through React state: a new key mounts an empty one.
  const [inputKey, setInputKey] = useState(0);
  const allowed = disabledReason === undefined;

  return (
    <div
      data-testid="drop-zone"
      data-dragging={over ? "true" : undefined}
      className={`min-w-0 space-y-3 rounded-lg border-2 border-dashed p-3 ${
        over ? "border-brand-500 bg-indigo-50 dark:bg-slate-800" : "border-slate-300 dark:border-slate-600"
      }`}
      onDragEnter={(e) => {
        if (!allowed || !hasFiles(e)) return;
        e.preventDefault();
        setOver(true);
      }}
      onDragOver={(e) => {
        if (!allowed || !hasFiles(e)) return;
        // Without this the browser opens the dropped file instead of handing it to the page.
        e.preventDefault();
        e.dataTransfer.dropEffect = "copy";
      }}
      onDragLeave={(e) => {
        // Leaving for a child element is not leaving the zone.
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOver(false);
      }}
      onDrop={(e) => {
        if (!allowed || !hasFiles(e)) return;
        e.preventDefault();
        setOver(false);
        const files = Array.from(e.dataTransfer.files);
        if (files.length) onFiles(files);
      }}
    >
      <div className="max-w-md">
        <FormField
          key={inputKey}
          kind="file"
          multiple
          label="Upload files"
          name="files"
          disabled={!allowed}
          title={disabledReason}
          hint={allowed ? <>Choose files, or drop them anywhere in this box. {hint}</> : disabledReason}
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            setInputKey((k) => k + 1);
            if (files.length) onFiles(files);
          }}
        />
      </div>
      {children}
    </div>
  );
}
