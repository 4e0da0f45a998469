"use client";
import type { ButtonHTMLAttributes } from "react";

export type ButtonVariant = "primary" | "secondary" | "danger";

const STYLES: Record<ButtonVariant, string> = {
  primary: "bg-brand-500 text-white hover:bg-brand-600",
  secondary: "border border-slate-300 bg-white text-slate-700 hover:bg-slate-50 dark:border-slate-600 dark:bg-slate-800 dark:text-slate-200 dark:hover:bg-slate-700",
  danger: "bg-red-700 text-white hover:bg-red-800",
};

/** The one button style; `disabledReason` disables it and says why on hover (and to screen readers). */
export function Button({
  variant = "primary",
  disabledReason,
  className,
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: ButtonVariant; disabledReason?: string }) {
  return (
    // No default type: like a plain <button>, it submits inside a form unless given type="button".
    <button
      {...props}
      disabled={props.disabled || Boolean(disabledReason)}
      title={disabledReason ?? props.title}
      aria-description={disabledReason}
      className={`shrink-0 whitespace-nowrap rounded-md px-3 py-1.5 text-sm font-medium shadow-sm focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-500 disabled:cursor-not-allowed disabled:opacity-50 ${STYLES[variant]} ${className ?? ""}`}
    />
  );
}
