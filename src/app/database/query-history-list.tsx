"use client";
import { Button } from "../components/button.tsx";
import type { HistoryEntry } from "./query-history.ts";

/** This user's recent statements in this browser; choosing one puts it back in the editor. */
export function QueryHistory({ entries, onRestore, onClear }: { entries: HistoryEntry[]; onRestore: (sql: string) => void; onClear: () => void }) {
  return (
    <details className="text-sm">
      <summary className="cursor-pointer text-slate-700 dark:text-slate-300">History ({entries.length})</summary>
      {entries.length === 0 ? (
        <p className="mt-2 text-slate-600 dark:text-slate-400">Statements you run are kept here, in this browser only.</p>
      ) : (
        <div className="mt-2 space-y-2">
          <ul aria-label="Query history" className="max-h-64 divide-y divide-slate-100 overflow-auto rounded-md border border-slate-200 dark:divide-slate-800 dark:border-slate-700">
            {entries.map((e) => (
              <li key={e.at + e.sql}>
                <button
                  type="button"
                  onClick={() => onRestore(e.sql)}
                  title={`Ran ${new Date(e.at).toLocaleString()}`}
                  className="block w-full truncate px-3 py-1.5 text-left font-mono text-xs hover:bg-slate-50 dark:hover:bg-slate-800"
                >
                  {e.sql.replace(/\s+/g, " ")}
                </button>
              </li>
            ))}
          </ul>
          <Button type="button" variant="secondary" onClick={onClear}>
            Clear history
          </Button>
        </div>
      )}
    </details>
  );
}
