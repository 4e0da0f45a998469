"use client";
import { useEffect, useRef, type ReactNode } from "react";

/**
 * The native modal `<dialog>` under ConfirmDialog and SlideOver: `showModal()` makes the rest of the page
 * inert (focus stays inside), renders in the top layer (in view whatever the scroll position) and closes
 * on Escape — no focus-trap library needed.
 */
export function Modal({ open, onClose, className, labelledBy, children }: { open: boolean; onClose: () => void; className: string; labelledBy: string; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={labelledBy}
      // Escape fires "cancel"; the parent owns `open`, so it decides.
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        // A click on the backdrop lands on the dialog element itself.
        if (e.target === e.currentTarget) onClose();
      }}
      className={`backdrop:bg-slate-950/50 ${className}`}
    >
      {open && children}
    </dialog>
  );
}
