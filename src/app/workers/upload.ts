"use client";
import { authHeaders, errorFromBody, RestError } from "./rest.ts";

export interface DeployResult {
  message: string;
  migrationsApplied: string[];
  /** Present when the archive had a package.json: whether `bun install` succeeded, and what it printed. */
  install?: { ok: boolean; output: string };
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

function toDeployResult(body: string): DeployResult {
  const parsed: unknown = JSON.parse(body);
  const { message, migrationsApplied, install } = (parsed ?? {}) as { message?: unknown; migrationsApplied?: unknown; install?: { ok?: unknown; output?: unknown } };
  return {
    message: typeof message === "string" ? message : "Deployed.",
    migrationsApplied: Array.isArray(migrationsApplied) ? migrationsApplied.filter((m): m is string => typeof m === "string") : [],
    ...(install && typeof install.ok === "boolean" ? { install: { ok: install.ok, output: typeof install.output === "string" ? install.output : "" } } : {}),
  };
}

/**
 * Uploads a deploy archive as the multipart field `archive`. XMLHttpRequest, not fetch: only it reports upload
 * progress (`upload.onprogress`). Rejects with the Core's error sentence. Closing the panel does not cancel it: the
 * deploy goes on, its toast still comes, and the workers list shows the result.
 */
export function uploadArchive(appId: string, file: File, onProgress: (p: UploadProgress) => void): Promise<DeployResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/apps/${encodeURIComponent(appId)}/deploy`);
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
    // The last progress event may fall short of the total; the upload's own load event is the certain 100 %.
    xhr.upload.onload = () => onProgress({ loaded: file.size, total: file.size });
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(toDeployResult(xhr.responseText));
        } catch {
          reject(new RestError("The archive was deployed, but the Core's answer could not be read.", xhr.status));
        }
      } else reject(errorFromBody(xhr.status, xhr.responseText));
    };
    xhr.onerror = () => reject(errorFromBody(0, ""));
    xhr.onabort = () => reject(new RestError("The upload was cancelled.", 0));
    const form = new FormData();
    form.append("archive", file, file.name);
    xhr.send(form);
  });
}
