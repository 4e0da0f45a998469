"use client";
import { useState } from "react";
import { Button } from "../../ui.tsx";
import { display, type FieldDef } from "../field-values.ts";

export interface Sort {
  column: string;
  order: "asc" | "desc";
}

export type Row = Record<string, unknown> & { id: string };

interface Props {
  fields: FieldDef[];
  rows: Row[];
  sort: Sort | undefined;
  onSort: (sort: Sort) => void;
  onEdit: (row: Row) => void;
  onDelete: (row: Row) => void;
}

/** Records as a table: click a column's header to sort by it, again to reverse. */
export function RecordsTable({ fields, rows, sort, onSort, onEdit, onDelete }: Props) {
  const [confirming, setConfirming] = useState<string>();
  const columns = ["id", ...fields.map((f) => f.name)];

  const header = (column: string) => {
    const active = sort?.column === column;
    const next: Sort = { column, order: active && sort.order === "asc" ? "desc" : "asc" };
    return (
      <th key={column} aria-sort={active ? (sort.order === "asc" ? "ascending" : "descending") : "none"} className="px-3 py-2 font-medium">
        <button type="button" onClick={() => onSort(next)} className="w-full text-left font-mono hover:text-slate-900">
          {column}
          <span aria-hidden="true" className="ml-1 text-xs">
            {active ? (sort.order === "asc" ? "▲" : "▼") : ""}
          </span>
        </button>
      </th>
    );
  };

  return (
    <table aria-label="Records" className="w-full border-collapse rounded-lg bg-white text-sm shadow-sm">
      <thead>
        <tr className="border-b border-slate-200 text-left text-slate-500">
          {columns.map(header)}
          <th className="px-3 py-2 font-medium">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.id} className="border-b border-slate-100 align-top">
            <td className="px-3 py-2 font-mono text-slate-500" title={row.id}>
              {row.id.slice(0, 8)}
            </td>
            {fields.map((f) => (
              <td key={f.name} className="max-w-xs truncate px-3 py-2">
                {display(row[f.name])}
              </td>
            ))}
            <td className="whitespace-nowrap px-3 py-2 text-right">
              {confirming === row.id ? (
                <span className="inline-flex gap-2">
                  <Button variant="danger" onClick={() => {
                      setConfirming(undefined);
                      onDelete(row);
                    }}>
                    Confirm delete
                  </Button>
                  <Button variant="secondary" onClick={() => setConfirming(undefined)}>
                    Cancel
                  </Button>
                </span>
              ) : (
                <span className="inline-flex gap-2">
                  <Button variant="secondary" onClick={() => onEdit(row)}>
                    Edit
                  </Button>
                  <Button variant="secondary" onClick={() => setConfirming(row.id)}>
                    Delete
                  </Button>
                </span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
