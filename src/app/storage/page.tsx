"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { errorSentence } from "../components/api-error.ts";
import { Badge } from "../components/badge.tsx";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { DataTable, type Column } from "../components/data-table.tsx";
import { FormError } from "../components/form-field.tsx";
import { forbiddenReason, usePermissions } from "../components/permissions.tsx";
import { PageHeader } from "../components/page-header.tsx";
import { SlideOver } from "../components/slide-over.tsx";
import { useToast } from "../components/toast.tsx";
import { useTRPC } from "../trpc.ts";
import { formatBytes } from "../workers/format.ts";
import { BucketForm } from "./bucket-form.tsx";
import { PLATFORM_MAX_BYTES, type Bucket } from "./model.ts";
import { STORAGE_ADMIN } from "./storage-permissions.ts";

/** The bucket the Core seeds and keeps. */
const DEFAULT_BUCKET = "default";

const LINK = "font-medium text-brand-600 hover:underline dark:text-indigo-300";

/** Platform buckets: list, create with limits and types, delete an empty one; each opens its folder browser. */
export default function StoragePage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const perms = usePermissions();
  const buckets = useQuery(trpc.storage.buckets.list.queryOptions());
  const create = useMutation(trpc.storage.buckets.create.mutationOptions());
  const remove = useMutation(trpc.storage.buckets.delete.mutationOptions());
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Bucket>();
  const refresh = () => qc.invalidateQueries(trpc.storage.buckets.pathFilter());

  const adminReason = !perms.ready ? "Checking your permissions…" : perms.can(STORAGE_ADMIN) ? undefined : forbiddenReason(STORAGE_ADMIN);
  const deleteReason = (b: Bucket) => (b.name === DEFAULT_BUCKET ? "The default bucket is always kept." : adminReason);

  const columns: Column<Bucket>[] = [
    {
      key: "name",
      header: "Name",
      hideable: false,
      cell: (b) => (
        <Link href={`/storage/${encodeURIComponent(b.name)}`} className={LINK}>
          {b.name}
        </Link>
      ),
    },
    { key: "access", header: "Access", width: 110, cell: (b) => (b.public ? <Badge tone="warning">public</Badge> : <Badge>private</Badge>) },
    { key: "max", header: "Largest file", width: 130, cell: (b) => formatBytes(b.max_file_size ?? PLATFORM_MAX_BYTES) },
    {
      key: "types",
      header: "Allowed types",
      cell: (b) => (b.allowed_types?.length ? <span className="font-mono text-xs">{b.allowed_types.join(", ")}</span> : <span className="text-slate-600 dark:text-slate-400">any</span>),
    },
    { key: "created", header: "Created", width: 190, cell: (b) => new Date(b.created_at).toLocaleString() },
  ];

  return (
    <section className="min-w-0 space-y-6">
      <PageHeader
        title="Storage"
        breadcrumbs={[{ label: "Studio", href: "/" }, { label: "Storage" }]}
        description="Buckets of files kept in the Core's PostgreSQL, with folders, limits and signed links."
        actions={
          <Button disabledReason={adminReason} onClick={() => setCreating(true)}>
            New bucket
          </Button>
        }
      />
      {buckets.isError && <FormError>{errorSentence(buckets.error)}</FormError>}
      <DataTable
        label="Buckets"
        columns={columns}
        rows={buckets.data}
        loading={buckets.isPending}
        rowKey={(b) => b.name}
        rowProps={(b) => ({ "data-testid": `bucket-${b.name}` })}
        empty="No buckets yet."
        actions={(b) => (
          <Button variant="secondary" disabledReason={deleteReason(b)} aria-label={`Delete bucket ${b.name}`} onClick={() => setDeleting(b)}>
            Delete
          </Button>
        )}
      />

      <SlideOver open={creating} title="New bucket" onClose={() => setCreating(false)}>
        {creating && (
          <BucketForm
            onCancel={() => setCreating(false)}
            onSubmit={async (bucket) => {
              await create.mutateAsync(bucket);
              toast.success(`Bucket ${bucket.name} created.`);
              setCreating(false);
              await refresh();
            }}
          />
        )}
      </SlideOver>

      <ConfirmDialog
        open={deleting !== undefined}
        title={`Delete bucket ${deleting?.name ?? ""}?`}
        confirmLabel="Delete bucket"
        typeToConfirm={deleting?.name}
        onCancel={() => setDeleting(undefined)}
        onConfirm={async () => {
          if (!deleting) return;
          try {
            await remove.mutateAsync({ name: deleting.name });
            toast.success(`Bucket ${deleting.name} deleted.`);
            await refresh();
          } catch (err) {
            toast.error(err, "Not deleted");
          } finally {
            setDeleting(undefined);
          }
        }}
      >
        The bucket is removed with its settings. Only an empty bucket can be deleted: the Core refuses one that still holds files or folders.
      </ConfirmDialog>
    </section>
  );
}
