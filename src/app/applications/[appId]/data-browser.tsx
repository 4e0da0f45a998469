"use client";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { errorSentence } from "../../components/api-error.ts";
import { Badge } from "../../components/badge.tsx";
import { Button } from "../../components/button.tsx";
import { ConfirmDialog } from "../../components/confirm-dialog.tsx";
import { forbiddenReason, usePermissions } from "../../components/permissions.tsx";
import { isClientError } from "../../components/query-retry.ts";
import { SlideOver } from "../../components/slide-over.tsx";
import { useToast } from "../../components/toast.tsx";
import { downloadText } from "../../database/csv.ts";
import { useTRPC } from "../../trpc.ts";
import { SYSTEM_FIELDS, type FieldDef } from "../field-values.ts";
import { EXPORT_CAP, fetchView, recordsCsv } from "./csv-export.ts";
import { FilterBar } from "./filter-bar.tsx";
import { LinkedRecords } from "./linked-records.tsx";
import { useRecordFromUrl } from "./record-link.ts";
import { compileFilter, conditionOfError, serializeConditions } from "./filter-model.ts";
import { Pager } from "./pager.tsx";
import { RecordForm } from "./record-form.tsx";
import { RecordsTable, type Row } from "./records-table.tsx";
import { useLiveRecords } from "./use-live-records.ts";
import { useViewState } from "./view-state.ts";

interface Props {
  appId: string;
  entity: string;
  /** The entity's own fields (system columns excluded). */
  fields: FieldDef[];
}

/** One entity's records as a grid: filter, sort, page, edit in place or in a panel, delete, export. */
export function DataBrowser({ appId, entity, fields }: Props) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const perms = usePermissions();
  const [view, setView] = useViewState();
  const [editing, setEditing] = useState<Row | "new">();
  const [deleting, setDeleting] = useState<Row>();
  const [filterInvalid, setFilterInvalid] = useState(false);
  const [exporting, setExporting] = useState(false);
  useRecordFromUrl(appId, entity, setEditing);

  const filterFields = useMemo(() => [...fields, ...SYSTEM_FIELDS], [fields]);
  const compiled = useMemo(() => compileFilter(filterFields, view.conditions), [filterFields, view.conditions]);
  const where = compiled.ok ? compiled.where : undefined;
  const viewInput = { appId, entity, where, orderBy: view.sort.key, order: view.sort.order };
  const records = useQuery({
    ...trpc.data.query.queryOptions({ ...viewInput, limit: view.size, offset: (view.page - 1) * view.size }),
    enabled: compiled.ok,
    placeholderData: keepPreviousData,
  });
  const create = useMutation(trpc.data.create.mutationOptions());
  const update = useMutation(trpc.data.update.mutationOptions());
  const remove = useMutation(trpc.data.delete.mutationOptions());
  const refresh = () => qc.invalidateQueries(trpc.data.pathFilter());
  // Changes made elsewhere refetch this page and are marked for a moment.
  const live = useLiveRecords(appId, entity, where, refresh);

  // Unknown permissions count as "not yet": the button says so rather than failing after a click.
  const reason = (action: "create" | "update" | "delete") => {
    const key = `app:${appId}:${entity}.${action}`;
    if (!perms.ready) return "Checking your permissions…";
    return perms.can(key) ? undefined : forbiddenReason(key);
  };

  // A refused filter empties the table (never the previous results shown as if they answered it).
  const failed = records.isError || filterInvalid || !compiled.ok;
  const serverError = records.isError
    ? isClientError(records.error)
      ? { index: conditionOfError(records.error.message, view.conditions), text: errorSentence(records.error) }
      : { text: errorSentence(records.error) }
    : undefined;
  const rows = failed ? [] : (records.data?.data as Row[] | undefined);
  const empty = failed
    ? "No results: see the error above."
    : view.conditions.length
      ? "No records match the filter."
      : `No ${entity} records yet.`;

  const total = records.data?.total;
  const lastPage = Math.max(1, Math.ceil((total ?? 0) / view.size));
  useEffect(() => {
    if (total !== undefined && !records.isPlaceholderData && view.page > lastPage) setView({ page: lastPage });
  }, [total, lastPage, view.page, records.isPlaceholderData, setView]);

  async function exportCsv() {
    setExporting(true);
    try {
      const { rows: all, total } = await fetchView((offset, limit) => qc.fetchQuery(trpc.data.query.queryOptions({ ...viewInput, limit, offset })));
      const columns = ["id", ...fields.map((f) => f.name), "created_at", "updated_at"];
      downloadText(`${appId}-${entity}.csv`, recordsCsv(columns, all));
      toast.success(total > EXPORT_CAP ? `Exported the first ${EXPORT_CAP} of ${total} records (the export limit).` : `Exported ${all.length} record(s).`);
    } catch (err) {
      toast.error(err, "Export failed");
    } finally {
      setExporting(false);
    }
  }

  async function saveCell(row: Row, field: string, value: unknown) {
    try {
      // Only the edited field: the rest of the row as JavaScript parsed it (json big integers rounded) stays unsent.
      await update.mutateAsync({ appId, entity, id: row.id, patch: { [field]: value } });
      toast.success(`Saved ${field}.`);
      await refresh();
    } catch (err) {
      toast.error(err, `${field} not saved`);
      throw err;
    }
  }

  const editTitle = editing === "new" ? `New ${entity}` : editing ? `Edit ${entity} ${editing.id.slice(0, 8)}` : "";
  return (
    <div className="min-w-0 space-y-3">
      <FilterBar
        key={serializeConditions(view.conditions) ?? ""}
        fields={filterFields}
        applied={view.conditions}
        appliedErrors={compiled.ok ? undefined : compiled.errors}
        serverError={serverError}
        onInvalid={() => setFilterInvalid(true)}
        onApply={(conditions) => {
          setFilterInvalid(false);
          setView({ conditions, page: 1 });
        }}
        onClear={() => {
          setFilterInvalid(false);
          setView({ conditions: [], page: 1 });
        }}
      />
      <div className="flex flex-wrap items-end justify-between gap-3">
        <Pager page={view.page} size={view.size} total={failed ? 0 : records.data?.total} onPage={(page) => setView({ page })} onSize={(size) => setView({ size, page: 1 })} />
        <div className="flex flex-wrap items-center gap-2">
          <Badge tone={live.status === "live" ? "success" : "neutral"} data-testid="live-status">
            {live.status === "live" ? "Live" : live.status === "off" ? "Not live" : "Connecting…"}
          </Badge>
          <Button variant="secondary" disabled={exporting || failed} onClick={exportCsv}>
            {exporting ? "Exporting…" : "Export CSV"}
          </Button>
          <Button disabledReason={reason("create")} onClick={() => setEditing("new")}>
            New record
          </Button>
        </div>
      </div>
      <RecordsTable
        fields={fields}
        rows={rows}
        loading={compiled.ok && records.isPending}
        empty={empty}
        sort={view.sort}
        onSort={(sort) => setView({ sort, page: 1 })}
        rights={{ update: reason("update"), delete: reason("delete") }}
        recent={live.recent}
        onSaveCell={saveCell}
        onEdit={(row) => setEditing(row)}
        onDelete={(row) => setDeleting(row)}
      />

      <SlideOver open={editing !== undefined} title={editTitle} onClose={() => setEditing(undefined)}>
        {editing && (
          <RecordForm
            key={editing === "new" ? "new" : editing.id}
            title={editTitle}
            fields={fields}
            record={editing === "new" ? undefined : editing}
            onCancel={() => setEditing(undefined)}
            onSubmit={async (values) => {
              try {
                await (editing === "new" ? create.mutateAsync({ appId, entity, record: values }) : update.mutateAsync({ appId, entity, id: editing.id, patch: values }));
              } catch (err) {
                // The form shows it next to the field too; the toast makes sure it is noticed.
                toast.error(err, editing === "new" ? "Not created" : "Not saved");
                throw err;
              }
              if (editing === "new") {
                toast.success(`${entity} record created.`);
                // The new record is on top in the default order, on the first page.
                if (view.page !== 1) setView({ page: 1 });
              } else {
                toast.success(`${entity} record saved.`);
              }
              setEditing(undefined);
              await refresh();
            }}
          />
        )}
        {editing && editing !== "new" && <LinkedRecords appId={appId} entity={entity} id={editing.id} />}
      </SlideOver>

      <ConfirmDialog
        open={deleting !== undefined}
        title="Delete this record?"
        confirmLabel="Delete record"
        onCancel={() => setDeleting(undefined)}
        onConfirm={async () => {
          if (!deleting) return;
          try {
            await remove.mutateAsync({ appId, entity, id: deleting.id });
            toast.success(`${entity} record ${deleting.id.slice(0, 8)} deleted.`);
            setDeleting(undefined);
            await refresh();
          } catch (err) {
            toast.error(err, "Not deleted");
            setDeleting(undefined);
          }
        }}
      >
        The {entity} record <span className="font-mono">{deleting?.id}</span> is removed for good.
      </ConfirmDialog>
    </div>
  );
}
