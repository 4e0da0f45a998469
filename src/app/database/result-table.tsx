"use client";

export interface QueryResultView {
  columns: string[];
  rows: unknown[][];
  row_count: number;
  truncated: boolean;
  truncated_reason: "rows" | "bytes" | null;
}

const TRUNCATION: Record<"rows" | "bytes", string> = {
  rows: " (first 500 only)",
  bytes: " (stopped at the 8 MiB result limit: select fewer or shorter values, e.g. left(col, 1000))",
};

function cellText(value: unknown): string {
  if (value === null) return "NULL";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** A query's result as a table; NULL is shown as such so that it is not mistaken for an empty string. */
export function ResultTable({ result }: { result: QueryResultView }) {
  const summary = `${result.row_count} row${result.row_count === 1 ? "" : "s"}${result.truncated_reason ? TRUNCATION[result.truncated_reason] : ""}`;
  return (
    <div className="space-y-1">
      <p role="status" className="text-xs text-slate-500">
        {summary}
      </p>
      <div className="max-h-[32rem] overflow-auto rounded-md border border-slate-200">
        <table className="w-full border-collapse text-sm">
          <caption className="sr-only">Query result: {summary}</caption>
          <thead className="sticky top-0 bg-slate-100 text-left text-xs text-slate-600">
            <tr>
              {result.columns.map((c, i) => (
                <th key={i} scope="col" className="px-3 py-1.5 font-mono">
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {result.rows.map((row, r) => (
              <tr key={r} className="border-t border-slate-100">
                {row.map((v, i) => (
                  <td key={i} className={`whitespace-pre px-3 py-1 font-mono text-xs ${v === null ? "italic text-slate-400" : ""}`}>
                    {cellText(v)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
