"use client";
/**
 * Compatibility exports for panels not yet converted to `src/app/components/` (see docs/STUDIO.md).
 * New code imports from the components directly.
 */
import type { InputHTMLAttributes } from "react";
import { legacyErrorMessage } from "./components/api-error.ts";

/** @deprecated use FormField from components/form-field.tsx */
export function Field({ label, ...props }: InputHTMLAttributes<HTMLInputElement> & { label: string }) {
  return (
    <label className="block text-sm">
      <span className="mb-1 block font-medium text-slate-700 dark:text-slate-200">{label}</span>
      <input
        {...props}
        className="w-full rounded-md border border-slate-300 bg-white px-3 py-2 shadow-sm focus:border-brand-500 focus:outline-none focus:ring-1 focus:ring-brand-500 dark:border-slate-600 dark:bg-slate-900"
      />
    </label>
  );
}

/** A caught error's message, never the raw zod JSON (new code: errorSentence from components/api-error.ts). */
export function errorMessage(err: unknown): string {
  return legacyErrorMessage(err);
}

/** @deprecated use DataTable from components/data-table.tsx */
export function TableHead({ labels, className, cellClassName = "px-3 py-2 font-medium" }: { labels: string[]; className?: string; cellClassName?: string }) {
  return (
    <thead className={className}>
      <tr className={className ? undefined : "border-b border-slate-200 text-left text-slate-600 dark:border-slate-700 dark:text-slate-400"}>
        {labels.map((label) => (
          <th key={label} className={cellClassName}>
            {label}
          </th>
        ))}
      </tr>
    </thead>
  );
}
