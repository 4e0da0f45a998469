"use client";
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import { errorSentence } from "./api-error.ts";

interface Toast {
  id: number;
  kind: "success" | "error";
  text: string;
}

interface ToastApi {
  success(text: string): void;
  /** Takes the caught error itself; it is turned into a readable sentence. */
  error(err: unknown, prefix?: string): void;
}

const ToastContext = createContext<ToastApi | undefined>(undefined);

export function useToast(): ToastApi {
  const t = useContext(ToastContext);
  if (!t) throw new Error("useToast outside ToastProvider");
  return t;
}

/** Success toasts fade after 4 s, failures stay until dismissed (they may need reading twice). */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(0);
  const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((t) => t.id !== id)), []);
  const push = useCallback(
    (kind: Toast["kind"], text: string) => {
      const id = ++next.current;
      setToasts((ts) => [...ts.slice(-3), { id, kind, text }]);
      if (kind === "success") setTimeout(() => dismiss(id), 4000);
    },
    [dismiss],
  );
  const api = useMemo<ToastApi>(
    () => ({
      success: (text) => push("success", text),
      error: (err, prefix) => push("error", prefix ? `${prefix}: ${errorSentence(err)}` : errorSentence(err)),
    }),
    [push],
  );
  return (
    <ToastContext.Provider value={api}>
      {children}
      <div aria-live="polite" role="status" className="pointer-events-none fixed right-4 bottom-4 z-50 flex w-80 max-w-[calc(100vw-2rem)] flex-col gap-2">
        {toasts.map((t) => (
          <div
            key={t.id}
            data-testid={`toast-${t.kind}`}
            className={`pointer-events-auto flex items-start justify-between gap-3 rounded-md px-4 py-3 text-sm shadow-lg ${
              t.kind === "success" ? "bg-emerald-700 text-white" : "bg-red-700 text-white"
            }`}
          >
            <span>{t.text}</span>
            <button type="button" aria-label="Dismiss" onClick={() => dismiss(t.id)} className="opacity-80 hover:opacity-100">
              ✕
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
