"use client";

/**
 * Before and after of one change, field by field; changed fields are highlighted. The table's layout is fixed
 * and values wrap anywhere, so a long JSON value grows the row downwards instead of pushing the After column
 * off screen; a very tall change scrolls inside its own box (one keyboard stop, not one per value).
 */
export function RecordDiff({ before, after }: { before: unknown; after: unknown }) {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  const show = (v: unknown) => (v === undefined ? "" : JSON.stringify(v));
  // An insert has no before and a delete no after: an empty half of the width would squeeze the other.
  const sides = [before ? "before" : undefined, after ? "after" : undefined].filter((x) => x !== undefined);
  return (
    <div role="region" aria-label="Change details" tabIndex={0} className="max-h-[60vh] overflow-y-auto">
      <table aria-label="Change" className="w-full table-fixed text-xs">
        <colgroup>
          <col className="w-40" />
          {sides.map((side) => (
            <col key={side} />
          ))}
        </colgroup>
        <thead className="text-left text-slate-700 dark:text-slate-300">
          <tr>
            <th className="py-1 pr-4">Field</th>
            {before ? <th className="py-1 pr-4">Before</th> : null}
            {after ? <th className="py-1">After</th> : null}
          </tr>
        </thead>
        <tbody className="font-mono">
          {keys.map((k) => {
            const changed = show(b[k]) !== show(a[k]);
            return (
              <tr key={k} data-changed={changed || undefined} className={changed ? "bg-amber-50 dark:bg-amber-950" : ""}>
                <td className="py-0.5 pr-4 align-top [overflow-wrap:anywhere]">{k}</td>
                {before ? (
                  <td className={`py-0.5 pr-4 align-top ${changed ? "text-red-800 dark:text-red-300" : ""}`}>
                    <Value text={show(b[k])} />
                  </td>
                ) : null}
                {after ? (
                  <td className={`py-0.5 align-top ${changed ? "text-emerald-800 dark:text-emerald-300" : ""}`}>
                    <Value text={show(a[k])} />
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function Value({ text }: { text: string }) {
  return <div className="whitespace-pre-wrap [overflow-wrap:anywhere]">{text}</div>;
}
