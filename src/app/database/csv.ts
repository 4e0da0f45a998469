import Papa from "papaparse";

/**
 * The result as CSV (RFC 4180: quotes, commas, newlines and leading spaces quoted by papaparse). NULL is an
 * empty field; JSON values (objects, arrays) are their JSON text. Values are written as they are, without
 * spreadsheet formula escaping, so the file is the data: open it in a spreadsheet as text if it is untrusted.
 */
export function toCsv(columns: string[], rows: unknown[][]): string {
  const cell = (v: unknown) => (v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
  return Papa.unparse({ fields: columns, data: rows.map((r) => r.map(cell)) }, { newline: "\r\n" });
}

/** Saves text as a file through a temporary object URL (the CSP allows blob: downloads; nothing is uploaded). */
export function downloadText(name: string, text: string, type = "text/csv;charset=utf-8"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // After the click has been handled: revoking at once can cancel the download in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
