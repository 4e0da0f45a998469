"use client";
import { useId } from "react";

export type ChartTone = "info" | "success" | "warning" | "danger" | "neutral";

export interface ChartSeries {
  key: string;
  label: string;
  tone: ChartTone;
}

export interface ChartPoint {
  /** ISO instant of the bucket's start. */
  at: string;
  values: Record<string, number>;
}

/**
 * Line colours (and their dark twins) with a dash pattern each, so the series stay apart without colour too.
 * Strokes are at least 3:1 against the card (WCAG non-text contrast) in both themes.
 */
const TONES: Record<ChartTone, { stroke: string; swatch: string; dash?: string }> = {
  info: { stroke: "stroke-sky-700 dark:stroke-sky-400", swatch: "bg-sky-700 dark:bg-sky-400" },
  success: { stroke: "stroke-emerald-700 dark:stroke-emerald-400", swatch: "bg-emerald-700 dark:bg-emerald-400", dash: "6 3" },
  warning: { stroke: "stroke-amber-700 dark:stroke-amber-400", swatch: "bg-amber-700 dark:bg-amber-400", dash: "2 3" },
  danger: { stroke: "stroke-red-700 dark:stroke-red-400", swatch: "bg-red-700 dark:bg-red-400", dash: "8 3 2 3" },
  neutral: { stroke: "stroke-slate-600 dark:stroke-slate-300", swatch: "bg-slate-600 dark:bg-slate-300", dash: "1 2" },
};

const W = 640;
const H = 200;
const PAD = { top: 10, right: 12, bottom: 24, left: 36 };

/** A round upper bound for the y axis (1, 2, 5 × 10ⁿ) so the ticks read as whole numbers. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * step >= max) return m * step;
  return 10 * step;
}

function timeLabel(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/**
 * Counts per time bucket as lines, for a handful of series: an SVG drawn by hand (no chart library: one chart
 * kind, no interaction, so a dependency would weigh more than it gives). Screen readers get a summary as the
 * image's name and the full numbers in a table under "Show the numbers".
 */
export function TimeSeriesChart({ title, series, points, unit }: { title: string; series: ChartSeries[]; points: ChartPoint[]; unit: string }) {
  const titleId = useId();
  const descId = useId();
  const totals = series.map((s) => ({ ...s, total: points.reduce((n, p) => n + (p.values[s.key] ?? 0), 0) }));
  const max = niceMax(Math.max(0, ...points.flatMap((p) => series.map((s) => p.values[s.key] ?? 0))));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (points.length <= 1 ? innerW / 2 : (i / (points.length - 1)) * innerW);
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const ticks = [0, max / 2, max];
  const labelled = points.length > 0 ? [...new Set([0, Math.floor((points.length - 1) / 2), points.length - 1])] : [];
  const summary =
    points.length === 0
      ? "No data in this window."
      : `From ${timeLabel(points[0]!.at)} to ${timeLabel(points[points.length - 1]!.at)}: ${totals.map((t) => `${t.total} ${t.label.toLowerCase()}`).join(", ")} ${unit}.`;

  return (
    <figure className="min-w-0 space-y-2" data-testid="time-series-chart">
      <figcaption id={titleId} className="text-sm font-medium text-slate-700 dark:text-slate-200">
        {title}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={titleId} aria-describedby={descId} className="h-auto w-full max-w-full">
        <desc id={descId}>{summary}</desc>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} className="stroke-slate-200 dark:stroke-slate-700" strokeWidth={1} />
            <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end" className="fill-slate-600 text-[11px] dark:fill-slate-400">
              {Number.isInteger(t) ? t : t.toFixed(1)}
            </text>
          </g>
        ))}
        {labelled.map((i) => (
          <text key={i} x={x(i)} y={H - 6} textAnchor={i === 0 ? "start" : i === points.length - 1 ? "end" : "middle"} className="fill-slate-600 text-[11px] dark:fill-slate-400">
            {timeLabel(points[i]!.at)}
          </text>
        ))}
        {series.map((s) => (
          <polyline
            key={s.key}
            data-series={s.key}
            fill="none"
            strokeWidth={2}
            strokeLinejoin="round"
            strokeDasharray={TONES[s.tone].dash}
            className={TONES[s.tone].stroke}
            points={points.map((p, i) => `${x(i).toFixed(1)},${y(p.values[s.key] ?? 0).toFixed(1)}`).join(" ")}
          />
        ))}
      </svg>
      <ul className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-700 dark:text-slate-300" aria-label={`${title}: totals`}>
        {totals.map((t) => (
          <li key={t.key} className="flex items-center gap-1.5" data-testid={`chart-total-${t.key}`}>
            <span aria-hidden="true" className={`inline-block h-0.5 w-4 ${TONES[t.tone].swatch}`} />
            {t.label}: <span className="font-mono font-semibold">{t.total}</span>
          </li>
        ))}
      </ul>
      <details className="text-xs">
        <summary className="cursor-pointer text-slate-700 dark:text-slate-300">Show the numbers</summary>
        <div className="mt-1 max-h-60 min-w-0 overflow-auto">
          <table className="w-full text-left">
            <caption className="sr-only">{title}</caption>
            <thead>
              <tr className="text-slate-600 dark:text-slate-400">
                <th scope="col" className="px-2 py-1 font-medium">
                  Minute
                </th>
                {series.map((s) => (
                  <th key={s.key} scope="col" className="px-2 py-1 font-medium">
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="font-mono text-slate-800 dark:text-slate-200">
              {points.map((p) => (
                <tr key={p.at}>
                  <th scope="row" className="px-2 py-0.5 font-normal">
                    {timeLabel(p.at)}
                  </th>
                  {series.map((s) => (
                    <td key={s.key} className="px-2 py-0.5">
                      {p.values[s.key] ?? 0}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
