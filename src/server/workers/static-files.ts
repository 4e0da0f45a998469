import { createReadStream, type Stats } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { isReservedSchema } from "../apps/manifest.ts";
import { CoreError } from "../errors.ts";
import { frontendDir } from "./app-files.ts";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".htm": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json",
  ".txt": "text/plain; charset=utf-8",
  ".xml": "application/xml",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".otf": "font/otf",
  ".wasm": "application/wasm",
  ".pdf": "application/pdf",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".mp3": "audio/mpeg",
};

const APP_ID = /^[a-z_][a-z0-9_]{0,62}$/;

/** Whether the Core's own handler owns this path: `/apps` (moved), `/apps/{id}` and below (an app's frontend). */
export function isAppFrontendPath(url: string): boolean {
  return url === "/apps" || url.startsWith("/apps/") || url.startsWith("/apps?");
}

const notFound = (what = "not found") => new CoreError("NOT_FOUND", what);

/** The file below `root` a request path names, or a refusal: decoded once, no `..`, NUL, backslash or escape. */
function requestedFile(root: string, rest: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    throw new CoreError("BAD_REQUEST", "the path is not valid percent-encoding");
  }
  if (decoded.includes("\0") || decoded.includes("\\")) throw new CoreError("BAD_REQUEST", "the path holds a NUL byte or a backslash");
  if (decoded.split("/").some((s) => s === ".." || s === ".")) throw new CoreError("BAD_REQUEST", "the path holds a '.' or '..' segment");
  const file = path.resolve(root, `.${path.posix.sep}${decoded}`);
  if (file !== root && !file.startsWith(root + path.sep)) throw notFound();
  return file;
}

/** `file` when it is a regular file whose real location (symlinks followed) is still inside `realRoot`. */
async function regularFileInside(file: string, realRoot: string): Promise<{ file: string; stats: Stats } | undefined> {
  try {
    const real = await realpath(file);
    if (!real.startsWith(realRoot + path.sep)) return undefined;
    const stats = await stat(real);
    return stats.isFile() ? { file: real, stats } : undefined;
  } catch {
    return undefined;
  }
}

const etagOf = (s: Stats) => `W/"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"`;

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  // Weak comparison (RFC 9110 §13.1.2): W/ prefixes do not count.
  const bare = etag.replace(/^W\//, "");
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === bare);
}

/**
 * Public static serving of an app's frontend (spec §2.5): `GET|HEAD /apps/{id}/…`. A path with no file falls back
 * to `index.html` (single-page apps); assets are cached for a year as immutable, HTML for a minute. `/apps` itself
 * was the Studio's apps page: it moved to `/applications`.
 */
export async function serveAppFrontend(req: IncomingMessage, res: ServerResponse, dataDir: string, url: string): Promise<void> {
  const q = url.indexOf("?");
  const pathname = q === -1 ? url : url.slice(0, q);
  if (pathname === "/apps" || pathname === "/apps/") {
    res.writeHead(308, { location: "/applications" }).end();
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") throw new CoreError("METHOD_NOT_ALLOWED", `method ${req.method} not allowed`, { headers: { allow: "GET, HEAD" } });
  const slash = pathname.indexOf("/", "/apps/".length);
  const appId = slash === -1 ? pathname.slice("/apps/".length) : pathname.slice("/apps/".length, slash);
  if (!APP_ID.test(appId) || isReservedSchema(appId)) throw notFound(`app ${JSON.stringify(appId)} has no frontend`);
  if (slash === -1) {
    // Relative asset URLs in index.html resolve against the directory: send /apps/x to /apps/x/.
    res.writeHead(308, { location: `/apps/${appId}/${q === -1 ? "" : url.slice(q)}` }).end();
    return;
  }
  const root = frontendDir(dataDir, appId);
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    throw notFound(`app ${appId} has no frontend`);
  }
  const wanted = requestedFile(root, pathname.slice(slash + 1));
  const found =
    (wanted !== root && (await regularFileInside(wanted, realRoot))) ||
    (await regularFileInside(path.join(wanted, "index.html"), realRoot)) ||
    (await regularFileInside(path.join(root, "index.html"), realRoot));
  if (!found) throw notFound(`app ${appId} has no frontend`);
  await sendFile(req, res, found.file, found.stats);
}

/**
 * Sends the app's frontend `index.html` (symlinks kept inside the frontend folder) with the given Cache-Control;
 * false when the app has none. For pages served outside `/apps/{id}/`, such as a public share's `/share/{token}`.
 */
export async function sendAppIndex(req: IncomingMessage, res: ServerResponse, dataDir: string, appId: string, cacheControl: string): Promise<boolean> {
  if (!APP_ID.test(appId) || isReservedSchema(appId)) return false;
  const root = frontendDir(dataDir, appId);
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return false;
  }
  const found = await regularFileInside(path.join(root, "index.html"), realRoot);
  if (!found) return false;
  await sendFile(req, res, found.file, found.stats, cacheControl);
  return true;
}

async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, stats: Stats, cacheControl?: string): Promise<void> {
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
  const html = type.startsWith("text/html");
  const etag = etagOf(stats);
  // The API's `default-src 'none'` would stop the app's own scripts; the frontend may not be framed elsewhere.
  res.removeHeader("content-security-policy");
  res.setHeader("content-security-policy", "frame-ancestors 'self'");
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("cache-control", cacheControl ?? (html ? "public, max-age=60, must-revalidate" : "public, max-age=31536000, immutable"));
  res.setHeader("etag", etag);
  res.setHeader("last-modified", stats.mtime.toUTCString());
  if (matchesEtag(req.headers["if-none-match"], etag)) {
    res.writeHead(304).end();
    return;
  }
  res.setHeader("content-type", type);
  res.setHeader("content-length", stats.size);
  if (req.method === "HEAD") {
    res.writeHead(200).end();
    return;
  }
  res.writeHead(200);
  await new Promise<void>((resolve) => {
    const stream = createReadStream(file);
    stream.on("error", () => {
      res.destroy();
      resolve();
    });
    res.on("close", () => {
      stream.destroy();
      resolve();
    });
    stream.pipe(res);
  });
}
