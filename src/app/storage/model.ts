/**
 * What the storage browser shows, as the Core's storage API answers it (spec §2.11, snake_case), and the few
 * rules the page applies to it before asking the Core.
 */
export interface Bucket {
  name: string;
  public: boolean;
  /** Bytes; null means the platform limit (64 MiB). */
  max_file_size: number | null;
  /** Content types (`image/*` wildcards allowed); null means any type. */
  allowed_types: string[] | null;
  created_at: string;
}

export interface StorageObject {
  id: string;
  name: string;
  is_folder: boolean;
  parent_id: string | null;
  content_type: string | null;
  size: number | null;
  sha256: string | null;
  created_at: string;
  updated_at: string;
}

/** The platform's own upload limit, for buckets without a lower one. */
export const PLATFORM_MAX_BYTES = 64 * 1024 * 1024;

/** Bucket names as the Core takes them (they are a segment of permission keys): 1–63 of a-z, 0-9 and _. */
export const BUCKET_NAME = /^[a-z0-9_]{1,63}$/;

/** What a preview can show inline: images in an <img>, PDFs in the browser's own viewer. */
export type PreviewKind = "image" | "pdf";

// SVG is left out: as an image it is harmless, but it is also a document that may carry scripts.
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp"]);

export function previewKind(obj: Pick<StorageObject, "is_folder" | "content_type">): PreviewKind | undefined {
  if (obj.is_folder || !obj.content_type) return undefined;
  const type = obj.content_type.split(";")[0]!.trim().toLowerCase();
  if (IMAGE_TYPES.has(type)) return "image";
  if (type === "application/pdf") return "pdf";
  return undefined;
}

/** "image/*, application/pdf" (commas or new lines) → the list the Core takes; blanks dropped, duplicates once. */
export function parseTypes(raw: string): string[] {
  return [...new Set(raw.split(/[\s,]+/).map((t) => t.trim().toLowerCase()).filter(Boolean))];
}
