"use client";
import type { ButtonHTMLAttributes, InputHTMLAttributes, ReactNode } from "react";

/** The few form primitives every panel shares. */
export function Field({ label, ...props }: InputHTMLAttributes<HTMLInputElement> & { label: string }) {
  return (
    <label className="block text-sm">
      <span className="mb-1 block font-medium text-slate-700">{label}</span>
      <input
        {...props}
        className="w-full rounded-md border border-slate-300 px-3 py-2 shadow-sm focus:border-brand-500 focus:outline-none focus:ring-1 focus:ring-brand-500"
      />
    </label>
  );
}

export function Button({ variant = "primary", ...props }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: "primary" | "secondary" | "danger" }) {
  const styles = {
    primary: "bg-brand-500 text-white hover:bg-brand-600",
    secondary: "border border-slate-300 bg-white text-slate-700 hover:bg-slate-50",
    danger: "bg-red-600 text-white hover:bg-red-700",
  }[variant];
  return (
    <button
      {...props}
      className={`rounded-md px-3 py-1.5 text-sm font-medium shadow-sm disabled:opacity-50 ${styles} ${props.className ?? ""}`}
    />
  );
}

export function ErrorText({ children }: { children: ReactNode }) {
  if (!children) return null;
  return (
    <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
      {children}
    </p>
  );
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : "something went wrong";
}

/** A table's header row: one column heading per label. */
export function TableHead({ labels, className, cellClassName = "px-3 py-2 font-medium" }: { labels: string[]; className?: string; cellClassName?: string }) {
  return (
    <thead className={className}>
      <tr className={className ? undefined : "border-b border-slate-200 text-left text-slate-500"}>
        {labels.map((label) => (
          <th key={label} className={cellClassName}>
            {label}
          </th>
        ))}
      </tr>
    </thead>
  );
}
