"use client";
import { authHeaders, errorFromBody, RestError } from "../workers/rest.ts";

/**
 * Bytes in and out of the Core's storage routes, which tRPC cannot carry: multipart uploads (XMLHttpRequest,
 * the only browser API reporting upload progress) and downloads (fetch with the in-memory bearer token, since
 * a plain link would reach the Core without it).
 */

export interface TransferProgress {
  loaded: number;
  total: number;
}

export interface UploadRequest {
  url: string;
  file: File;
  /** Text fields sent before the file, e.g. the folder (`parent_id`): busboy reads parts in order. */
  fields?: Record<string, string>;
  onProgress: (p: TransferProgress) => void;
}

/** Uploads one file as the multipart part `file`; resolves with the Core's parsed JSON answer. */
export function uploadMultipart({ url, file, fields = {}, onProgress }: UploadRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
    // The last progress event may fall short of the total; the upload's own load event is the certain 100 %.
    xhr.upload.onload = () => onProgress({ loaded: file.size, total: file.size });
    xhr.onload = () => {
      if (xhr.status < 200 || xhr.status >= 300) return reject(errorFromBody(xhr.status, xhr.responseText));
      try {
        resolve(JSON.parse(xhr.responseText) as unknown);
      } catch {
        reject(new RestError("The file was uploaded, but the Core's answer could not be read.", xhr.status));
      }
    };
    xhr.onerror = () => reject(errorFromBody(0, ""));
    xhr.onabort = () => reject(new RestError("The upload was cancelled.", 0));
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

/**
 * The file name of a `Content-Disposition` answer: the RFC 5987 `filename*` (UTF-8) when present, else the
 * quoted ASCII `filename`. Undefined when the header has neither (the caller then names the file itself).
 */
export function filenameOf(header: string | null): string | undefined {
  if (!header) return undefined;
  const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (extended) {
    try {
      return decodeURIComponent(extended[1]!.trim());
    } catch {
      // A malformed escape: fall back to the plain parameter below.
    }
  }
  const plain = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header) ?? /filename\s*=\s*([^;\s]+)/i.exec(header);
  return plain ? plain[1]!.replace(/\\(.)/g, "$1") : undefined;
}

export interface Downloaded {
  blob: Blob;
  filename: string | undefined;
}

/** Fetches a stored file with the caller's token; rejects with the Core's error sentence. */
export async function fetchFile(url: string): Promise<Downloaded> {
  let res: Response;
  try {
    res = await fetch(url, { headers: authHeaders() });
  } catch {
    throw errorFromBody(0, "");
  }
  if (!res.ok) throw errorFromBody(res.status, await res.text());
  return { blob: await res.blob(), filename: filenameOf(res.headers.get("content-disposition")) };
}

/** Hands a blob to the browser as a download named `filename`. */
export function saveBlob(blob: Blob, filename: string): void {
  const href = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = href;
  a.download = filename;
  a.rel = "noopener";
  document.body.append(a);
  a.click();
  a.remove();
  // The click has started the download by the next task; the URL is no longer needed after that.
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

/** Downloads a stored file to the person's disk under the name the Core gives it (or `fallbackName`). */
export async function downloadFile(url: string, fallbackName: string): Promise<void> {
  const { blob, filename } = await fetchFile(url);
  saveBlob(blob, filename ?? fallbackName);
}
