"use client";
import { useRef, useState, type ReactNode } from "react";

export interface Column<Row> {
  /** Stable id, also the show/hide key. */
  key: string;
  header: string;
  cell: (row: Row) => ReactNode;
  /** Initial width in px; the user can drag the header edge to change it. */
  width?: number;
  /** Whether the column menu may hide it (default true). */
  hideable?: boolean;
  /** With the table's `onSort`: the header becomes a button that sorts by this column. */
  sortable?: boolean;
}

export interface TableSort {
  key: string;
  order: "asc" | "desc";
}

export interface DataTableProps<Row> {
  label: string;
  columns: Column<Row>[];
  rows: Row[] | undefined;
  rowKey: (row: Row) => string;
  /** Buttons of one row; rendered in a column stuck to the right edge so they never scroll away. */
  actions?: (row: Row) => ReactNode;
  /** Extra attributes for a row (e.g. a data-testid). */
  rowProps?: (row: Row) => Record<string, string>;
  /** Shown under a row (details, an inline panel), spanning every column. */
  expanded?: (row: Row) => ReactNode;
  loading?: boolean;
  empty?: ReactNode;
  /** The current sort (shown as aria-sort and an arrow on its header). */
  sort?: TableSort;
  /** Called with a sortable column's key when its header is activated; the caller decides the order. */
  onSort?: (key: string) => void;
}

const CELL = "px-3 py-2 align-top";

/**
 * The one table: sticky header and action column, columns that can be hidden and resized, and horizontal
 * scrolling inside the table's own box so the page never scrolls sideways.
 */
export function DataTable<Row>({ label, columns, rows, rowKey, actions, rowProps, expanded, loading, empty = "Nothing here yet.", sort, onSort }: DataTableProps<Row>) {
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [widths, setWidths] = useState<Record<string, number>>({});
  const visible = columns.filter((c) => !hidden.has(c.key));
  const span = visible.length + (actions ? 1 : 0);

  return (
    <div className="min-w-0 space-y-2">
      <div className="flex justify-end">
        <details className="relative text-sm">
          <summary className="cursor-pointer rounded px-2 py-1 text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800">Columns</summary>
          <fieldset className="absolute right-0 z-20 mt-1 w-48 space-y-1 rounded-md border border-slate-200 bg-white p-2 shadow-lg dark:border-slate-700 dark:bg-slate-800">
            <legend className="sr-only">Visible columns of {label}</legend>
            {columns.map((c) => (
              <label key={c.key} className="flex items-center gap-2">
                <input
                  type="checkbox"
                  disabled={c.hideable === false}
                  checked={!hidden.has(c.key)}
                  onChange={() =>
                    setHidden((h) => {
                      const n = new Set(h);
                      if (n.has(c.key)) n.delete(c.key);
                      else n.add(c.key);
                      return n;
                    })
                  }
                />
                {c.header}
              </label>
            ))}
          </fieldset>
        </details>
      </div>
      <div className="max-h-[70vh] overflow-auto rounded-lg border border-slate-200 bg-white shadow-sm dark:border-slate-700 dark:bg-slate-900" tabIndex={0} role="region" aria-label={label}>
        <table aria-label={label} className="w-full border-separate border-spacing-0 text-sm">
          <thead className="sticky top-0 z-10 bg-slate-100 text-left text-xs uppercase tracking-wide text-slate-700 dark:bg-slate-800 dark:text-slate-300">
            <tr>
              {visible.map((c) => (
                <ResizableTh
                  key={c.key}
                  label={c.header}
                  width={widths[c.key] ?? c.width}
                  onResize={(w) => setWidths((ws) => ({ ...ws, [c.key]: w }))}
                  sort={c.sortable && onSort ? (sort?.key === c.key ? sort.order : "none") : undefined}
                >
                  {c.sortable && onSort ? (
                    <button type="button" onClick={() => onSort(c.key)} className="w-full text-left uppercase hover:text-slate-900 dark:hover:text-white">
                      {c.header}
                      <span aria-hidden="true" className="ml-1">
                        {sort?.key === c.key ? (sort.order === "asc" ? "▲" : "▼") : ""}
                      </span>
                    </button>
                  ) : (
                    c.header
                  )}
                </ResizableTh>
              ))}
              {actions && <th className={`${CELL} sticky right-0 bg-slate-100 text-right dark:bg-slate-800`}>Actions</th>}
            </tr>
          </thead>
          <tbody>
            {loading || !rows
              ? [0, 1, 2].map((i) => (
                  <tr key={i} aria-hidden="true" data-testid="table-skeleton">
                    <td colSpan={span} className={CELL}>
                      <div className="h-4 animate-pulse rounded bg-slate-200 dark:bg-slate-700" />
                    </td>
                  </tr>
                ))
              : rows.length === 0
                ? (
                    <tr>
                      <td colSpan={span} className="px-3 py-8 text-center text-slate-600 dark:text-slate-400">
                        {empty}
                      </td>
                    </tr>
                  )
                : rows.map((row) => {
                    const more = expanded?.(row);
                    return (
                      <Rows key={rowKey(row)}>
                        <tr {...rowProps?.(row)} className="group">
                          {visible.map((c) => (
                            <td key={c.key} className={`${CELL} border-t border-slate-100 dark:border-slate-800`}>
                              {c.cell(row)}
                            </td>
                          ))}
                          {actions && (
                            <td className={`${CELL} sticky right-0 border-t border-l border-slate-100 bg-white group-hover:bg-slate-50 dark:border-slate-800 dark:bg-slate-900 dark:group-hover:bg-slate-800`}>
                              <div className="flex justify-end gap-2">{actions(row)}</div>
                            </td>
                          )}
                        </tr>
                        {more && (
                          <tr>
                            <td colSpan={span} className="bg-slate-50 px-3 py-3 dark:bg-slate-800">
                              {more}
                            </td>
                          </tr>
                        )}
                      </Rows>
                    );
                  })}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function Rows({ children }: { children: ReactNode }) {
  return <>{children}</>;
}

/** A header cell whose right edge can be dragged (or moved with arrow keys) to set the column's width. */
function ResizableTh({ label, width, onResize, sort, children }: { label: string; width?: number; onResize: (w: number) => void; sort?: "asc" | "desc" | "none"; children: ReactNode }) {
  const ref = useRef<HTMLTableCellElement>(null);
  const current = () => ref.current?.getBoundingClientRect().width ?? width ?? 120;
  return (
    <th
      ref={ref}
      aria-sort={sort === undefined ? undefined : sort === "none" ? "none" : sort === "asc" ? "ascending" : "descending"}
      style={width ? { width, minWidth: width } : undefined}
      className={`${CELL} relative font-medium`}
    >
      {children}
      <span
        role="separator"
        aria-orientation="vertical"
        aria-label={`Resize ${label}`}
        // A focusable separator is a slider-like widget: it must say where it is.
        aria-valuenow={Math.round(width ?? 120)}
        aria-valuemin={48}
        aria-valuemax={2000}
        tabIndex={0}
        onKeyDown={(e) => {
          if (e.key === "ArrowLeft") onResize(Math.max(48, current() - 16));
          if (e.key === "ArrowRight") onResize(current() + 16);
        }}
        onPointerDown={(e) => {
          const startX = e.clientX;
          const start = current();
          const move = (ev: PointerEvent) => onResize(Math.max(48, start + ev.clientX - startX));
          const up = () => {
            window.removeEventListener("pointermove", move);
            window.removeEventListener("pointerup", up);
          };
          window.addEventListener("pointermove", move);
          window.addEventListener("pointerup", up);
        }}
        className="absolute top-0 right-0 h-full w-1.5 cursor-col-resize hover:bg-brand-500 focus:bg-brand-500"
      />
    </th>
  );
}
