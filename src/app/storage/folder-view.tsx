"use client";
import { skipToken, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorSentence } from "../components/api-error.ts";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { FormError } from "../components/form-field.tsx";
import { PageHeader, type Crumb } from "../components/page-header.tsx";
import { SlideOver } from "../components/slide-over.tsx";
import { useToast } from "../components/toast.tsx";
import { useTRPC } from "../trpc.ts";
import { formatBytes } from "../workers/format.ts";
import { PLATFORM_MAX_BYTES, type Bucket, type StorageObject } from "./model.ts";
import { MovePanel } from "./move-panel.tsx";
import { NameForm } from "./name-form.tsx";
import { ObjectDetails } from "./object-details.tsx";
import { ObjectsTable, sortObjects } from "./objects-table.tsx";
import { useStorageRights } from "./storage-permissions.ts";
import { downloadFile } from "./transfer.ts";
import { UploadList } from "./upload-list.tsx";
import { UploadZone } from "./upload-zone.tsx";
import { folderHref, objectUrl, uploadUrl } from "./urls.ts";
import { useUploads } from "./use-uploads.ts";

type Naming = { kind: "folder" } | { kind: "rename"; object: StorageObject };

/** What a bucket takes, said next to the upload control. */
function limitsSentence(bucket: Bucket | undefined): string {
  if (!bucket) return "";
  const size = `At most ${formatBytes(bucket.max_file_size ?? PLATFORM_MAX_BYTES)} a file`;
  return bucket.allowed_types?.length ? `${size}; only ${bucket.allowed_types.join(", ")}.` : `${size}.`;
}

/** One folder of a bucket (its root when `folderId` is absent): list, upload, create, rename, move, delete, preview. */
export function FolderView({ bucket, folderId }: { bucket: string; folderId?: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const rights = useStorageRights(bucket);
  const uploads = useUploads();
  const buckets = useQuery(trpc.storage.buckets.list.queryOptions());
  const listing = useQuery(trpc.storage.objects.list.queryOptions({ bucket, parent_id: folderId ?? null }));
  const ancestors = useQuery(trpc.storage.objects.ancestors.queryOptions(folderId ? { bucket, id: folderId } : skipToken));
  const createFolder = useMutation(trpc.storage.objects.createFolder.mutationOptions());
  const rename = useMutation(trpc.storage.objects.rename.mutationOptions());
  const move = useMutation(trpc.storage.objects.move.mutationOptions());
  const remove = useMutation(trpc.storage.objects.delete.mutationOptions());
  const signedUrl = useMutation(trpc.storage.signedUrl.mutationOptions());
  const [naming, setNaming] = useState<Naming>();
  const [moving, setMoving] = useState<StorageObject>();
  const [viewing, setViewing] = useState<StorageObject>();
  const [deleting, setDeleting] = useState<StorageObject>();
  const refresh = () => qc.invalidateQueries(trpc.storage.objects.pathFilter());

  const info = buckets.data?.find((b) => b.name === bucket);
  // The Core's breadcrumb ends with the folder itself; what comes before it are links.
  const chain = ancestors.data ?? [];
  const current = folderId !== undefined ? chain.find((c) => c.id === folderId) : undefined;
  const parents = chain.filter((c) => c.id !== folderId);
  const crumbs: Crumb[] = [
    { label: "Studio", href: "/" },
    { label: "Storage", href: "/storage" },
    folderId ? { label: bucket, href: folderHref(bucket) } : { label: bucket },
    ...parents.map((c) => ({ label: c.name, href: folderHref(bucket, c.id) })),
    ...(folderId ? [{ label: current?.name ?? "…" }] : []),
  ];
  const objects = listing.data ? sortObjects(listing.data) : undefined;
  const where = current?.name ?? bucket;

  async function upload(files: File[]) {
    const result = await uploads.start(files, { url: uploadUrl(bucket), fields: folderId ? { parent_id: folderId } : {} });
    if (result.uploaded.length === 1) toast.success(`Uploaded ${result.uploaded[0]} into ${where}.`);
    else if (result.uploaded.length > 1) toast.success(`Uploaded ${result.uploaded.length} files into ${where}.`);
    for (const f of result.failed) toast.error(f.error, `${f.name} not uploaded`);
    await refresh();
  }

  async function download(o: StorageObject) {
    try {
      await downloadFile(objectUrl(bucket, o.id), o.name);
    } catch (err) {
      toast.error(err, `${o.name} not downloaded`);
    }
  }

  async function copyLink(o: StorageObject) {
    try {
      const link = await signedUrl.mutateAsync({ bucket, id: o.id });
      await navigator.clipboard.writeText(new URL(link.url, window.location.origin).toString());
      toast.success(`Signed link to ${o.name} copied; it works without signing in until ${new Date(link.expiresAt).toLocaleString()}.`);
    } catch (err) {
      toast.error(err, "Link not copied");
    }
  }

  const folderMissing = listing.isError || ancestors.isError;
  return (
    <section className="min-w-0 space-y-6">
      <PageHeader
        title={where}
        breadcrumbs={crumbs}
        description={info?.public ? "A public bucket: anyone may read its files, without signing in." : "A private bucket: reading needs a storage permission or a signed link."}
        actions={
          <Button disabledReason={rights.reason("write")} onClick={() => setNaming({ kind: "folder" })}>
            New folder
          </Button>
        }
      />
      {folderMissing && <FormError>{errorSentence(listing.error ?? ancestors.error)}</FormError>}
      <UploadList items={uploads.items} onClear={uploads.clearFinished} />
      <UploadZone disabledReason={rights.reason("write")} hint={limitsSentence(info)} onFiles={(files) => void upload(files)}>
        <ObjectsTable
          bucket={bucket}
          objects={folderMissing ? [] : objects}
          loading={listing.isPending}
          rights={rights}
          onOpen={setViewing}
          onDownload={(o) => void download(o)}
          onRename={(o) => setNaming({ kind: "rename", object: o })}
          onMove={setMoving}
          onDelete={setDeleting}
        />
      </UploadZone>

      <SlideOver
        open={naming !== undefined}
        title={naming?.kind === "rename" ? `Rename ${naming.object.name}` : `New folder in ${where}`}
        onClose={() => setNaming(undefined)}
      >
        {naming && (
          <NameForm
            key={naming.kind === "rename" ? naming.object.id : "new"}
            title={naming.kind === "rename" ? `Rename ${naming.object.name}` : "New folder"}
            initial={naming.kind === "rename" ? naming.object.name : ""}
            submitLabel={naming.kind === "rename" ? "Rename" : "Create folder"}
            onCancel={() => setNaming(undefined)}
            onSubmit={async (name) => {
              if (naming.kind === "rename") {
                await rename.mutateAsync({ bucket, id: naming.object.id, name });
                toast.success(`Renamed ${naming.object.name} to ${name}.`);
              } else {
                await createFolder.mutateAsync({ bucket, name, parent_id: folderId ?? null });
                toast.success(`Folder ${name} created in ${where}.`);
              }
              setNaming(undefined);
              await refresh();
            }}
          />
        )}
      </SlideOver>

      <SlideOver open={moving !== undefined} title={`Move ${moving?.name ?? ""}`} description="Open the destination folder, then move it there." onClose={() => setMoving(undefined)}>
        {moving && (
          <MovePanel
            key={moving.id}
            bucket={bucket}
            object={moving}
            onCancel={() => setMoving(undefined)}
            onMove={async (parentId, destination) => {
              await move.mutateAsync({ bucket, id: moving.id, parent_id: parentId });
              toast.success(`Moved ${moving.name} to ${destination}.`);
              setMoving(undefined);
              await refresh();
            }}
          />
        )}
      </SlideOver>

      <SlideOver open={viewing !== undefined} title={viewing?.name ?? ""} onClose={() => setViewing(undefined)}>
        {viewing && (
          <ObjectDetails
            key={viewing.id}
            bucket={bucket}
            object={viewing}
            readReason={rights.reason("read")}
            onDownload={() => void download(viewing)}
            onCopyLink={() => void copyLink(viewing)}
          />
        )}
      </SlideOver>

      <ConfirmDialog
        open={deleting !== undefined}
        title={deleting?.is_folder ? `Delete folder ${deleting.name}?` : `Delete ${deleting?.name ?? ""}?`}
        confirmLabel={deleting?.is_folder ? "Delete folder" : "Delete file"}
        typeToConfirm={deleting?.is_folder ? deleting.name : undefined}
        onCancel={() => setDeleting(undefined)}
        onConfirm={async () => {
          if (!deleting) return;
          try {
            await remove.mutateAsync({ bucket, id: deleting.id });
            toast.success(`${deleting.is_folder ? "Folder" : "File"} ${deleting.name} deleted.`);
            await refresh();
          } catch (err) {
            toast.error(err, "Not deleted");
          } finally {
            setDeleting(undefined);
          }
        }}
      >
        {deleting?.is_folder ? "The folder is removed with every file and folder inside it, for good." : "The file is removed for good; signed links to it stop working."}
      </ConfirmDialog>
    </section>
  );
}
