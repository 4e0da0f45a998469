"use client";

/** Before and after of one change, field by field; changed fields are highlighted. */
export function RecordDiff({ before, after }: { before: unknown; after: unknown }) {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  const show = (v: unknown) => (v === undefined ? "" : JSON.stringify(v));
  return (
    <table aria-label="Change" className="w-full text-xs">
      <thead className="text-left text-slate-500">
        <tr>
          <th className="py-1 pr-4">Field</th>
          <th className="py-1 pr-4">Before</th>
          <th className="py-1">After</th>
        </tr>
      </thead>
      <tbody className="font-mono">
        {keys.map((k) => {
          const changed = show(b[k]) !== show(a[k]);
          return (
            <tr key={k} data-changed={changed || undefined} className={changed ? "bg-amber-50" : ""}>
              <td className="py-0.5 pr-4">{k}</td>
              <td className={`py-0.5 pr-4 ${changed && before ? "text-red-700" : ""}`}>{show(b[k])}</td>
              <td className={`py-0.5 ${changed && after ? "text-emerald-700" : ""}`}>{show(a[k])}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
