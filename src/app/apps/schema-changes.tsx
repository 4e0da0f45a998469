"use client";
import { TableHead } from "../ui.tsx";

export interface SchemaChange {
  entity: string;
  change_type: string;
  column: string | null;
  detail: string;
}

/** The schema changes an install would make (or made), one row each. */
export function SchemaChanges({ changes, label }: { changes: SchemaChange[]; label: string }) {
  return (
    <table aria-label={label} className="w-full border-collapse text-sm">
      <TableHead labels={["Entity", "Change", "Column", "Detail"]} cellClassName="px-2 py-1 font-medium" />
      <tbody>
        {changes.map((c, i) => (
          <tr key={i} className="border-b border-slate-100 font-mono">
            <td className="px-2 py-1">{c.entity || "—"}</td>
            <td className={`px-2 py-1 ${c.change_type.startsWith("drop") ? "text-red-700" : ""}`}>{c.change_type}</td>
            <td className="px-2 py-1">{c.column ?? "—"}</td>
            <td className="px-2 py-1">{c.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
