"use client";
import { DataTable, type Column } from "../components/data-table.tsx";

export interface QueryResultView {
  columns: string[];
  rows: unknown[][];
  row_count: number;
  truncated: boolean;
  truncated_reason: "rows" | "bytes" | null;
}

const TRUNCATION: Record<"rows" | "bytes", string> = {
  rows: " (first 500 only: more rows exist; narrow the query with WHERE, or page with LIMIT and OFFSET)",
  bytes: " (stopped at the 8 MiB result limit: select fewer or shorter values, e.g. left(col, 1000))",
};

interface Row {
  index: number;
  cells: unknown[];
}

function cellText(value: unknown): string {
  if (value === null) return "NULL";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/**
 * A query's result in the Studio's table, which scrolls inside its own box (a wide result never widens the
 * page). NULL is shown as such so that it is not mistaken for an empty string; a cut answer says why.
 */
export function ResultTable({ result }: { result: QueryResultView }) {
  const reason = result.truncated_reason;
  const summary = `${result.row_count} row${result.row_count === 1 ? "" : "s"}${reason ? TRUNCATION[reason] : ""}`;
  // Keyed by position: a result may repeat a column name (SELECT 1 AS a, 2 AS a).
  const columns: Column<Row>[] = result.columns.map((name, i) => ({
    key: `${i}`,
    header: name,
    cell: (row) => {
      const v = row.cells[i];
      return <span className={`whitespace-pre font-mono text-xs ${v === null ? "italic text-slate-500 dark:text-slate-400" : ""}`}>{cellText(v)}</span>;
    },
  }));
  return (
    <div className="min-w-0 space-y-1">
      <p
        role="status"
        data-truncated={reason ?? undefined}
        className={reason ? "rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-200" : "text-xs text-slate-600 dark:text-slate-400"}
      >
        {summary}
      </p>
      <DataTable label="Query result" columns={columns} rows={result.rows.map((cells, index) => ({ index, cells }))} rowKey={(r) => String(r.index)} empty="No rows." />
    </div>
  );
}
