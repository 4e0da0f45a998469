"use client";

/**
 * Before and after of one change, field by field; changed fields are highlighted. The table's layout is fixed
 * and values wrap anywhere (and scroll when very tall), so a long JSON value grows the row downwards instead of
 * pushing the After column off screen.
 */
export function RecordDiff({ before, after }: { before: unknown; after: unknown }) {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  const show = (v: unknown) => (v === undefined ? "" : JSON.stringify(v));
  return (
    <table aria-label="Change" className="w-full table-fixed text-xs">
      <colgroup>
        <col className="w-40" />
        <col />
        <col />
      </colgroup>
      <thead className="text-left text-slate-700 dark:text-slate-300">
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
            <tr key={k} data-changed={changed || undefined} className={changed ? "bg-amber-50 dark:bg-amber-950" : ""}>
              <td className="py-0.5 pr-4 align-top [overflow-wrap:anywhere]">{k}</td>
              <td className={`py-0.5 pr-4 align-top ${changed && before ? "text-red-800 dark:text-red-300" : ""}`}>
                <Value text={show(b[k])} />
              </td>
              <td className={`py-0.5 align-top ${changed && after ? "text-emerald-800 dark:text-emerald-300" : ""}`}>
                <Value text={show(a[k])} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Value({ text }: { text: string }) {
  return <div className="max-h-48 overflow-y-auto whitespace-pre-wrap [overflow-wrap:anywhere]">{text}</div>;
}
