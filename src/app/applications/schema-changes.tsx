"use client";
import { TableHead } from "../ui.tsx";

export interface SchemaChange {
  entity: string;
  change_type: string;
  column: string | null;
  detail: string;
  /** Applying it loses or alters existing values (history: the loss the install accepted). */
  destructive?: boolean;
  /** Existing rows make it fail. */
  blocking?: boolean | null;
  /** null: the caller may not install the app, so is not told how many rows. */
  affectedRows?: number | null;
  sample?: { id: string; value: string | null; becomes?: string | null }[];
}

const rows = (n: number) => `${n} row${n === 1 ? "" : "s"}`;

function Impact({ change, applied }: { change: SchemaChange; applied: boolean }) {
  if (!(change.destructive || change.blocking)) return <>—</>;
  const n = change.affectedRows;
  const some = n === null || n === undefined ? "Existing rows" : rows(n);
  const what = change.blocking ? `${some} prevent this change` : applied ? `${some} lost or changed a value` : `${some} lose or change a value`;
  return (
    <div className="space-y-1">
      <p className="font-sans font-semibold">{what}</p>
      {change.sample && change.sample.length > 0 && (
        <ul aria-label="Sample of affected rows" className="space-y-0.5 text-xs">
          {change.sample.map((s) => (
            <li key={s.id} title={s.id}>
              {s.id.slice(0, 8)}: {s.value ?? "NULL"}
              {s.becomes !== undefined && <> → {s.becomes ?? "NULL"}</>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The schema changes an install would make (or made), one row each; those that touch existing rows in red. */
export function SchemaChanges({ changes, label, applied = false }: { changes: SchemaChange[]; label: string; applied?: boolean }) {
  return (
    // Its own horizontal scroll: a long detail or sample never widens the page.
    <div className="min-w-0 overflow-x-auto">
      <table aria-label={label} className="w-full border-collapse text-sm">
        <TableHead labels={["Entity", "Change", "Column", "Detail", "Existing rows"]} cellClassName="px-2 py-1 font-medium" />
        <tbody>
          {changes.map((c, i) => {
            const harmful = c.destructive === true || c.blocking === true;
            return (
              <tr key={i} data-destructive={harmful ? "true" : undefined} className={`border-b border-slate-100 font-mono dark:border-slate-800 ${harmful ? "bg-red-50 text-red-800 dark:bg-red-950 dark:text-red-200" : ""}`}>
                <td className="px-2 py-1">{c.entity || "—"}</td>
                <td className={`px-2 py-1 ${c.change_type.startsWith("drop") ? "text-red-700 dark:text-red-300" : ""}`}>{c.change_type}</td>
                <td className="px-2 py-1">{c.column ?? "—"}</td>
                <td className="px-2 py-1 break-words">{c.detail}</td>
                <td className="px-2 py-1">
                  <Impact change={c} applied={applied} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
