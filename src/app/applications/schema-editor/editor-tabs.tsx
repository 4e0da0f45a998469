"use client";
import { useCallback, useSyncExternalStore } from "react";

export type EditorMode = "form" | "json";
const KEY = "studio-manifest-editor";

function read(): EditorMode {
  return localStorage.getItem(KEY) === "json" ? "json" : "form";
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener("storage", onChange);
  return () => window.removeEventListener("storage", onChange);
}

/** Form or JSON: remembered in the browser, so whoever prefers the JSON editor gets it every time. */
export function useEditorMode(): [EditorMode, (m: EditorMode) => void] {
  const mode = useSyncExternalStore(subscribe, read, (): EditorMode => "form");
  const set = useCallback((m: EditorMode) => {
    localStorage.setItem(KEY, m);
    // The storage event fires only in other tabs; tell this one too.
    window.dispatchEvent(new StorageEvent("storage", { key: KEY }));
  }, []);
  return [mode, set];
}

export function EditorTabs({ mode, onChange }: { mode: EditorMode; onChange: (m: EditorMode) => void }) {
  return (
    <div role="tablist" aria-label="Manifest editor" className="flex rounded-md border border-slate-300 p-0.5 text-sm dark:border-slate-600">
      {(["form", "json"] as const).map((m) => (
        <button
          key={m}
          type="button"
          role="tab"
          aria-selected={mode === m}
          onClick={() => onChange(m)}
          className={`rounded px-3 py-1 ${mode === m ? "bg-slate-800 text-white dark:bg-slate-200 dark:text-slate-900" : "text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"}`}
        >
          {m === "form" ? "Form" : "JSON"}
        </button>
      ))}
    </div>
  );
}
