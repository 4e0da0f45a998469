"use client";
import { useId, type ReactNode } from "react";
import { Modal } from "./modal.tsx";

/**
 * The side panel for create, edit and details: opens over the right edge whatever the page's scroll
 * position, keeps focus inside, and closes on Escape, the close button or a click outside.
 */
export function SlideOver({ open, title, description, onClose, children }: { open: boolean; title: string; description?: ReactNode; onClose: () => void; children: ReactNode }) {
  const titleId = useId();
  return (
    <Modal
      open={open}
      onClose={onClose}
      labelledBy={titleId}
      className="m-0 ml-auto h-dvh max-h-dvh w-[min(36rem,100vw)] max-w-full overflow-y-auto bg-white p-0 text-slate-900 shadow-xl dark:bg-slate-900 dark:text-slate-100"
    >
      <div className="flex items-start justify-between gap-4 border-b border-slate-200 px-6 py-4 dark:border-slate-700">
        <div>
          <h2 id={titleId} className="text-lg font-semibold">
            {title}
          </h2>
          {description && <p className="text-sm text-slate-600 dark:text-slate-400">{description}</p>}
        </div>
        <button type="button" onClick={onClose} aria-label="Close panel" className="rounded p-1 text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800">
          ✕
        </button>
      </div>
      <div className="px-6 py-4">{children}</div>
    </Modal>
  );
}
