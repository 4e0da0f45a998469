"use client";
import { Badge } from "../../components/badge.tsx";
import { Button } from "../../components/button.tsx";
import { DataTable, type Column, type TableSort } from "../../components/data-table.tsx";
import { display, SYSTEM_FIELDS, type FieldDef } from "../field-values.ts";
import { EDIT_HINT_ID, EditableCell } from "./editable-cell.tsx";
import { FileCell } from "./file-field.tsx";

export type Row = Record<string, unknown> & { id: string };

/** What the caller may do to a record: each undefined when allowed, else the reason it is not. */
export interface RowRights {
  update?: string;
  delete?: string;
}

interface Props {
  fields: FieldDef[];
  rows: Row[] | undefined;
  loading: boolean;
  empty: string;
  sort: TableSort;
  onSort: (sort: TableSort) => void;
  rights: RowRights;
  onSaveCell: (row: Row, field: string, value: unknown) => Promise<void>;
  onEdit: (row: Row) => void;
  onDelete: (row: Row) => void;
  /** Rows just inserted or updated elsewhere (the live change stream), marked next to their id. */
  recent?: ReadonlyMap<string, "insert" | "update">;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** A system timestamp in the reader's time, to the second; the exact stored value is the cell's tooltip. */
function localTime(value: unknown): string {
  const d = new Date(String(value));
  if (Number.isNaN(d.getTime())) return display(value);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const [ID, CREATED, UPDATED] = SYSTEM_FIELDS as [FieldDef, FieldDef, FieldDef];

/** Records as a grid: every column sortable, cells editable in place, Edit and Delete stuck to the right. */
export function RecordsTable({ fields, rows, loading, empty, sort, onSort, rights, onSaveCell, onEdit, onDelete, recent }: Props) {
  const rowLabel = (row: Row) => `record ${row.id.slice(0, 8)}`;
  const system = (f: FieldDef, width: number): Column<Row> => ({
    key: f.name,
    header: f.name,
    sortable: true,
    width,
    cell: (row) => {
      const change = f.name === "id" ? recent?.get(row.id) : undefined;
      return (
        <span className="flex items-center gap-1">
          <span className="block truncate font-mono text-xs text-slate-600 dark:text-slate-400" title={display(row[f.name])}>
            {f.name === "id" ? row.id.slice(0, 8) : localTime(row[f.name])}
          </span>
          {change && (
            <Badge tone={change === "insert" ? "success" : "info"} data-testid={`live-${change}`}>
              {change === "insert" ? "new" : "changed"}
            </Badge>
          )}
        </span>
      );
    },
  });
  const columns: Column<Row>[] = [
    { ...system(ID, 150), hideable: false },
    ...fields.map(
      (f): Column<Row> => ({
        key: f.name,
        header: f.name,
        // Arrays and json have no order the reader would expect.
        sortable: !(f.type === "json" || f.type.startsWith("[")),
        // A file field is changed through the record form (an upload), never typed into the cell.
        cell: (row) =>
          f.type === "file" ? (
            <FileCell value={row[f.name]} label={`${f.name} of ${rowLabel(row)}`} />
          ) : (
            <EditableCell
              field={f}
              value={row[f.name]}
              rowLabel={rowLabel(row)}
              onSave={rights.update === undefined ? (value) => onSaveCell(row, f.name, value) : undefined}
            />
          ),
      }),
    ),
    system(CREATED, 170),
    system(UPDATED, 170),
  ];
  return (
    <>
      <p id={EDIT_HINT_ID} hidden>
        Press Enter or double-click to edit this value; Enter saves, Escape cancels.
      </p>
      <DataTable
        label="Records"
        columns={columns}
        rows={rows}
        loading={loading}
        empty={empty}
        rowKey={(r) => r.id}
        rowProps={(r) => ({ "data-testid": `record-${r.id}`, ...(recent?.has(r.id) ? { "data-live": recent.get(r.id)! } : {}) })}
        sort={sort}
        onSort={(key) => onSort({ key, order: sort.key === key && sort.order === "asc" ? "desc" : "asc" })}
        actions={(row) => (
          <>
            <Button variant="secondary" disabledReason={rights.update} onClick={() => onEdit(row)} aria-label={`Edit ${rowLabel(row)}`}>
              Edit
            </Button>
            <Button variant="secondary" disabledReason={rights.delete} onClick={() => onDelete(row)} aria-label={`Delete ${rowLabel(row)}`}>
              Delete
            </Button>
          </>
        )}
      />
    </>
  );
}
