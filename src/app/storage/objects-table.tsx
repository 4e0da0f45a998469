"use client";
import Link from "next/link";
import { Button } from "../components/button.tsx";
import { DataTable, type Column } from "../components/data-table.tsx";
import { formatBytes } from "../workers/format.ts";
import type { StorageObject } from "./model.ts";
import type { StorageRights } from "./storage-permissions.ts";
import { folderHref } from "./urls.ts";

interface Props {
  bucket: string;
  objects: StorageObject[] | undefined;
  loading: boolean;
  rights: StorageRights;
  onOpen: (file: StorageObject) => void;
  onDownload: (file: StorageObject) => void;
  onRename: (obj: StorageObject) => void;
  onMove: (obj: StorageObject) => void;
  onDelete: (obj: StorageObject) => void;
}

const NAME = "font-medium text-brand-600 hover:underline dark:text-indigo-300";

/** Folders first, then files, each by name as people sort them ("file 2" before "file 10"). */
export function sortObjects(objects: readonly StorageObject[]): StorageObject[] {
  return [...objects].sort((a, b) => Number(b.is_folder) - Number(a.is_folder) || a.name.localeCompare(b.name, undefined, { numeric: true }));
}

/** One folder's contents: a folder's name opens it, a file's opens its details and preview. */
export function ObjectsTable({ bucket, objects, loading, rights, onOpen, onDownload, onRename, onMove, onDelete }: Props) {
  const columns: Column<StorageObject>[] = [
    {
      key: "name",
      header: "Name",
      hideable: false,
      width: 240,
      cell: (o) =>
        o.is_folder ? (
          <Link href={folderHref(bucket, o.id)} className={`${NAME} block max-w-60 truncate`} title={o.name}>
            {o.name}
            <span aria-hidden="true">/</span>
          </Link>
        ) : (
          <button type="button" className={`${NAME} block max-w-60 truncate text-left`} title={o.name} onClick={() => onOpen(o)}>
            {o.name}
          </button>
        ),
    },
    { key: "type", header: "Type", width: 140, cell: (o) => (o.is_folder ? "folder" : (o.content_type ?? "—")) },
    { key: "size", header: "Size", width: 90, cell: (o) => (o.is_folder ? "—" : formatBytes(o.size)) },
    { key: "modified", header: "Modified", width: 160, cell: (o) => new Date(o.updated_at).toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" }) },
  ];
  return (
    <DataTable
      label="Folder contents"
      columns={columns}
      rows={objects}
      loading={loading}
      rowKey={(o) => o.id}
      rowProps={(o) => ({ "data-testid": `object-${o.name}` })}
      empty="This folder is empty. Upload files or create a folder."
      actions={(o) => (
        <>
          {!o.is_folder && (
            <Button variant="secondary" disabledReason={rights.reason("read")} aria-label={`Download ${o.name}`} onClick={() => onDownload(o)}>
              Download
            </Button>
          )}
          <Button variant="secondary" disabledReason={rights.reason("write")} aria-label={`Rename ${o.name}`} onClick={() => onRename(o)}>
            Rename
          </Button>
          <Button variant="secondary" disabledReason={rights.reason("write")} aria-label={`Move ${o.name}`} onClick={() => onMove(o)}>
            Move
          </Button>
          <Button variant="secondary" disabledReason={rights.reason("delete")} aria-label={`Delete ${o.name}`} onClick={() => onDelete(o)}>
            Delete
          </Button>
        </>
      )}
    />
  );
}
