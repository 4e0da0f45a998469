"use client";
import { useParams, useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { FolderView } from "../folder-view.tsx";

/** One bucket's folder browser; the folder shown is `?folder=<id>` (the root without it), so links can be shared. */
export default function BucketPage() {
  // useSearchParams needs a Suspense boundary above it.
  return (
    <Suspense fallback={<p className="text-slate-600 dark:text-slate-400">Loading bucket…</p>}>
      <BucketView />
    </Suspense>
  );
}

function BucketView() {
  const { bucket } = useParams<{ bucket: string }>();
  const folder = useSearchParams().get("folder") ?? undefined;
  return <FolderView key={`${bucket}/${folder ?? ""}`} bucket={decodeURIComponent(bucket)} folderId={folder} />;
}
