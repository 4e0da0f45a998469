"use client";

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
      <thead>
        <tr className="border-b border-slate-200 text-left text-slate-500">
          <th className="px-2 py-1 font-medium">Entity</th>
          <th className="px-2 py-1 font-medium">Change</th>
          <th className="px-2 py-1 font-medium">Column</th>
          <th className="px-2 py-1 font-medium">Detail</th>
        </tr>
      </thead>
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
