"use client";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../trpc.ts";
import { Button, ErrorText, errorMessage } from "../../ui.tsx";
import type { FieldDef } from "../field-values.ts";
import { FilterBar } from "./filter-bar.tsx";
import { RecordForm } from "./record-form.tsx";
import { RecordsTable, type Row, type Sort } from "./records-table.tsx";

const PAGE_SIZE = 25;

interface Props {
  appId: string;
  entity: string;
  fields: FieldDef[];
}

/** One entity's records: sort, filter, page through, create, edit and delete them through the Data API. */
export function DataBrowser({ appId, entity, fields }: Props) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [sort, setSort] = useState<Sort>();
  const [where, setWhere] = useState<Record<string, unknown>>();
  const [offset, setOffset] = useState(0);
  const [editing, setEditing] = useState<Row | "new">();
  const [error, setError] = useState<string>();
  const records = useQuery({
    ...trpc.data.query.queryOptions({ appId, entity, where, orderBy: sort?.column, order: sort?.order, limit: PAGE_SIZE, offset }),
    placeholderData: keepPreviousData,
  });
  const create = useMutation(trpc.data.create.mutationOptions());
  const update = useMutation(trpc.data.update.mutationOptions());
  const remove = useMutation(trpc.data.delete.mutationOptions());
  const refresh = () => qc.invalidateQueries(trpc.data.pathFilter());

  async function deleteRow(row: Row) {
    setError(undefined);
    try {
      await remove.mutateAsync({ appId, entity, id: row.id });
      await refresh();
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  const total = records.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <FilterBar
          fields={fields}
          onApply={(w) => {
            setWhere(w);
            setOffset(0);
          }}
        />
        <Button onClick={() => setEditing(editing === "new" ? undefined : "new")}>New record</Button>
      </div>
      {editing && (
        <RecordForm
          key={editing === "new" ? "new" : editing.id}
          title={editing === "new" ? `New ${entity}` : `Edit ${entity} ${editing.id.slice(0, 8)}`}
          fields={fields}
          record={editing === "new" ? undefined : editing}
          onCancel={() => setEditing(undefined)}
          onSubmit={async (values) => {
            if (editing === "new") await create.mutateAsync({ appId, entity, record: values });
            else await update.mutateAsync({ appId, entity, id: editing.id, patch: values });
            setEditing(undefined);
            await refresh();
          }}
        />
      )}
      <ErrorText>{error ?? records.error?.message}</ErrorText>
      {records.data && (
        <>
          {records.data.data.length === 0 ? (
            <p className="text-sm text-slate-500">{where ? "No records match the filter." : `No ${entity} records yet.`}</p>
          ) : (
            <RecordsTable
              fields={fields}
              rows={records.data.data}
              sort={sort}
              onSort={(s) => {
                setSort(s);
                setOffset(0);
              }}
              onEdit={(row) => setEditing(row)}
              onDelete={deleteRow}
            />
          )}
          <div className="flex items-center gap-3 text-sm">
            <span data-testid="record-count">
              {total} record{total === 1 ? "" : "s"}
            </span>
            <span className="text-slate-500">
              Page {Math.floor(offset / PAGE_SIZE) + 1} of {pages}
            </span>
            <Button variant="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
              Previous
            </Button>
            <Button variant="secondary" disabled={offset + PAGE_SIZE >= total} onClick={() => setOffset(offset + PAGE_SIZE)}>
              Next
            </Button>
          </div>
        </>
      )}
      {records.isPending && <p className="text-sm text-slate-500">Loading records…</p>}
    </div>
  );
}
