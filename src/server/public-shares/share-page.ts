import type { IncomingMessage, ServerResponse } from "node:http";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { sendAppIndex } from "../workers/static-files.ts";
import { liveShare } from "./live-share.ts";

const PREFIX = "/share/";

/** Whether the Core's own handler owns this path: `/share/{token}` (a public share's page) and anything under /share. */
export function isSharePath(url: string): boolean {
  return url === "/share" || url.startsWith(PREFIX) || url.startsWith("/share?");
}

// The same page for every refusal: a holder learns nothing of whether the link never existed, was revoked or expired.
const UNAVAILABLE_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Link unavailable</title></head>
<body><h1>Link unavailable</h1><p>This share link is unknown, revoked or expired. Ask whoever sent it for a new one.</p></body></html>
`;

/**
 * `GET|HEAD /share/{token}` (spec §2.5): the share's app's frontend `index.html`. The token is in the URL, so the
 * page is never cached or indexed and sends no Referer to the pages it links to. The page reads the token from
 * its own path and calls `GET /api/v1/public/share/info` and the app's public RPCs with it as bearer.
 */
export async function serveSharePage(req: IncomingMessage, res: ServerResponse, core: Core, url: string): Promise<void> {
  res.setHeader("x-robots-tag", "noindex, nofollow");
  res.setHeader("cache-control", "no-store");
  res.setHeader("referrer-policy", "no-referrer");
  if (req.method !== "GET" && req.method !== "HEAD") throw new CoreError("METHOD_NOT_ALLOWED", `method ${req.method} not allowed`, { headers: { allow: "GET, HEAD" } });
  const q = url.indexOf("?");
  const pathname = q === -1 ? url : url.slice(0, q);
  const token = pathname.startsWith(PREFIX) ? pathname.slice(PREFIX.length) : "";
  const share = token ? await liveShare(core, token) : undefined;
  if (share && (await sendAppIndex(req, res, core.config.dataDir, share.appId, "no-store"))) return;
  res.writeHead(404, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(UNAVAILABLE_PAGE) });
  res.end(req.method === "HEAD" ? undefined : UNAVAILABLE_PAGE);
}
