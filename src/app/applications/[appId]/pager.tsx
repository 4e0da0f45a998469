"use client";
import { Button } from "../../components/button.tsx";
import { FormField } from "../../components/form-field.tsx";
import { PAGE_SIZES } from "./view-state.ts";

const count = new Intl.NumberFormat("en-US");

/** "1–50 of 1,234", the page buttons and the page size. */
export function Pager({ page, size, total, onPage, onSize }: { page: number; size: number; total: number | undefined; onPage: (page: number) => void; onSize: (size: number) => void }) {
  const pages = Math.max(1, Math.ceil((total ?? 0) / size));
  const first = (page - 1) * size + 1;
  const last = Math.min(page * size, total ?? 0);
  return (
    <div className="flex flex-wrap items-end gap-3 text-sm text-slate-700 dark:text-slate-300">
      <span data-testid="record-count" aria-live="polite">
        {total === undefined ? "…" : total === 0 ? "0 records" : `${count.format(first)}–${count.format(last)} of ${count.format(total)}`}
      </span>
      <span>
        Page {page} of {pages}
      </span>
      <Button variant="secondary" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </Button>
      <Button variant="secondary" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next
      </Button>
      <div className="w-28">
        <FormField kind="select" label="Rows per page" value={String(size)} options={PAGE_SIZES.map((s) => ({ value: String(s), label: String(s) }))} onChange={(e) => onSize(Number(e.target.value))} />
      </div>
    </div>
  );
}
