import { toCsv } from "../../database/csv.ts";

/** More than a spreadsheet user wants from a browser tab; past this the export says it was cut. */
export const EXPORT_CAP = 10_000;
/** The Data API's largest page. */
const PAGE = 1_000;

export type FetchPage = (offset: number, limit: number) => Promise<{ data: Record<string, unknown>[]; total: number }>;

/**
 * Every row of the current view (its filter and sort), page by page up to the cap. Rows added while paging can
 * shift a later page; an export is a snapshot "as of about now", as any paged read is.
 */
export async function fetchView(fetchPage: FetchPage, cap = EXPORT_CAP): Promise<{ rows: Record<string, unknown>[]; total: number }> {
  const rows: Record<string, unknown>[] = [];
  let total = Infinity;
  while (rows.length < Math.min(total, cap)) {
    const page = await fetchPage(rows.length, Math.min(PAGE, cap - rows.length));
    total = page.total;
    rows.push(...page.data);
    if (page.data.length === 0) break;
  }
  return { rows, total };
}

/** The rows as CSV with the given columns in order (quoting by papaparse, via the console's toCsv). */
export function recordsCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  return toCsv([...columns], rows.map((r) => columns.map((c) => r[c])));
}
