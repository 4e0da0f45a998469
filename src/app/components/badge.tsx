import type { ReactNode } from "react";

export type BadgeTone = "neutral" | "success" | "warning" | "danger" | "info" | "accent";

/** Each pair is at least 4.5:1 (axe AA) in light and in dark mode. */
const TONES: Record<BadgeTone, string> = {
  neutral: "bg-slate-100 text-slate-800 dark:bg-slate-800 dark:text-slate-200",
  success: "bg-emerald-100 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200",
  warning: "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200",
  danger: "bg-red-100 text-red-900 dark:bg-red-950 dark:text-red-200",
  info: "bg-sky-100 text-sky-900 dark:bg-sky-950 dark:text-sky-200",
  accent: "bg-violet-100 text-violet-900 dark:bg-violet-950 dark:text-violet-200",
};

/** A short status word (a worker's state, a log level) as a coloured chip; the word itself carries the meaning. */
export function Badge({ tone = "neutral", children, ...rest }: { tone?: BadgeTone; children: ReactNode } & Record<`data-${string}`, string>) {
  return (
    <span {...rest} className={`inline-block rounded px-1.5 py-0.5 font-mono text-xs font-semibold whitespace-nowrap ${TONES[tone]}`}>
      {children}
    </span>
  );
}
