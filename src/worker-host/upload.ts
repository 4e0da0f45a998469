import { request, REQUEST_TIMEOUT_MS } from "./requests.ts";
import { errorText } from "./serialize.ts";
import type { UploadContent } from "./types.ts";

/**
 * `uploadFile(content, filename, contentType)` (spec §4.2 storage_upload): the Core answers with a single-use
 * URL, the bytes go there over HTTP, and the stored file's id comes back. Any refusal rejects the promise.
 */

async function bytesOf(content: UploadContent): Promise<Uint8Array<ArrayBuffer>> {
  if (typeof content === "string") return new TextEncoder().encode(content);
  if (content instanceof ArrayBuffer) return new Uint8Array(content);
  if (ArrayBuffer.isView(content)) {
    const view = new Uint8Array(content.buffer, content.byteOffset, content.byteLength);
    // fetch sends bytes of an ArrayBuffer; a view of shared memory is copied into one.
    return content.buffer instanceof ArrayBuffer ? (view as Uint8Array<ArrayBuffer>) : new Uint8Array(view);
  }
  if (content instanceof Blob) return new Uint8Array(await content.arrayBuffer());
  throw new TypeError("uploadFile: content must be a string, bytes (ArrayBuffer, typed array, Buffer) or a Blob");
}

export async function uploadFile(runtimeUrl: string, content: UploadContent, filename?: string, contentType?: string): Promise<string> {
  const bytes = await bytesOf(content);
  const type = contentType || "application/octet-stream";
  const reply = await request("storage_upload", { name: filename || "upload", content_type: type, size: bytes.byteLength });
  if (typeof reply.url !== "string") throw new Error("uploadFile: the Core's answer has no url");
  let target: URL;
  try {
    // The Core may name the endpoint by its path alone; it is then on the runtime URL.
    target = new URL(reply.url, runtimeUrl || undefined);
  } catch {
    throw new Error(`uploadFile: the upload url ${JSON.stringify(reply.url)} is not a URL`);
  }
  let res: Response;
  let text: string;
  try {
    res = await fetch(target, { method: "POST", headers: { "content-type": type }, body: bytes, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    text = await res.text();
  } catch (err) {
    if (err instanceof Error && err.name === "TimeoutError") throw new Error(`uploadFile: the upload did not finish within ${REQUEST_TIMEOUT_MS / 1000} s`);
    throw new Error(`uploadFile: the upload failed: ${errorText(err)}`);
  }
  if (!res.ok) throw new Error(`uploadFile: the upload was refused (HTTP ${res.status}): ${text.slice(0, 300)}`);
  let fileId: unknown;
  try {
    fileId = (JSON.parse(text) as { file_id?: unknown }).file_id;
  } catch {
    fileId = undefined;
  }
  if (typeof fileId !== "string" && typeof fileId !== "number") throw new Error("uploadFile: the upload answer has no file_id");
  return String(fileId);
}
