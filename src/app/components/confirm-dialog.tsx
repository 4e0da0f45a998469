"use client";
import { useId, useState, type ReactNode } from "react";
import { Button } from "./button.tsx";
import { Modal } from "./modal.tsx";

export interface ConfirmDialogProps {
  open: boolean;
  title: string;
  /** What will happen, in a sentence or two. */
  children?: ReactNode;
  confirmLabel: string;
  /** For destructive actions on things that hold data: the confirm button stays disabled until this is typed. */
  typeToConfirm?: string;
  destructive?: boolean;
  onConfirm: () => Promise<unknown> | void;
  onCancel: () => void;
}

/** An accessible confirmation modal; Escape, Cancel and a backdrop click all cancel. */
export function ConfirmDialog({ open, title, children, confirmLabel, typeToConfirm, destructive = true, onConfirm, onCancel }: ConfirmDialogProps) {
  const titleId = useId();
  return (
    <Modal
      open={open}
      onClose={onCancel}
      labelledBy={titleId}
      className="m-auto w-[min(32rem,calc(100vw-2rem))] rounded-lg bg-white p-0 text-slate-900 shadow-xl dark:bg-slate-800 dark:text-slate-100"
    >
      <ConfirmBody titleId={titleId} title={title} confirmLabel={confirmLabel} typeToConfirm={typeToConfirm} destructive={destructive} onConfirm={onConfirm} onCancel={onCancel}>
        {children}
      </ConfirmBody>
    </Modal>
  );
}

/** Mounted only while open, so the typed name and the pending state start fresh each time. */
function ConfirmBody({ titleId, title, children, confirmLabel, typeToConfirm, destructive, onConfirm, onCancel }: Omit<ConfirmDialogProps, "open"> & { titleId: string }) {
  const [typed, setTyped] = useState("");
  const [pending, setPending] = useState(false);
  const inputId = useId();
  const blocked = typeToConfirm !== undefined && typed !== typeToConfirm;
  return (
    <form
      method="dialog"
      className="space-y-4 p-5"
      onSubmit={async (e) => {
        e.preventDefault();
        if (blocked || pending) return;
        setPending(true);
        try {
          await onConfirm();
        } finally {
          setPending(false);
        }
      }}
    >
      <h2 id={titleId} className="text-lg font-semibold">
        {title}
      </h2>
      {children && <div className="text-sm text-slate-700 dark:text-slate-300">{children}</div>}
      {typeToConfirm !== undefined && (
        <div className="text-sm">
          <label htmlFor={inputId} className="mb-1 block">
            Type <span className="font-mono font-semibold">{typeToConfirm}</span> to confirm
          </label>
          <input
            id={inputId}
            autoFocus
            autoComplete="off"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            className="w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono dark:border-slate-600 dark:bg-slate-900"
          />
        </div>
      )}
      {/* flex-wrap: at any width both buttons stay on screen. */}
      <div className="flex flex-wrap justify-end gap-2">
        <Button type="button" variant="secondary" onClick={onCancel} autoFocus={typeToConfirm === undefined}>
          Cancel
        </Button>
        <Button type="submit" variant={destructive ? "danger" : "primary"} disabled={blocked || pending}>
          {confirmLabel}
        </Button>
      </div>
    </form>
  );
}
