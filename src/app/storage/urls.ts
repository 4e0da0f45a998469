/** The Core's REST addresses for a bucket's bytes (spec §2.11); names and ids are encoded as path segments. */
const base = (bucket: string) => `/api/v1/storage/objects/${encodeURIComponent(bucket)}`;

export const uploadUrl = (bucket: string) => `${base(bucket)}/upload`;
export const objectUrl = (bucket: string, id: string) => `${base(bucket)}/${encodeURIComponent(id)}`;
export const folderHref = (bucket: string, folderId?: string | null) =>
  `/storage/${encodeURIComponent(bucket)}${folderId ? `?folder=${encodeURIComponent(folderId)}` : ""}`;
