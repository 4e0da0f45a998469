import type { IncomingMessage } from "node:http";
import { CoreError } from "../errors.ts";

const refused = () => new CoreError("FORBIDDEN", "cookie sessions are accepted from the Studio's own origin only");

/** The origin the request was addressed to, as a browser would write it in `Origin`. */
function addressedOrigin(origin: URL, host: string | undefined): string | undefined {
  if (!host) return undefined;
  try {
    return new URL(`${origin.protocol}//${host}`).origin;
  } catch {
    return undefined;
  }
}

/**
 * Guards every call that reads or sets the Studio's refresh cookie. SameSite=Strict is not enough: a site
 * ignores the port, so a page on any `http://localhost:*` is same-site with a Core on localhost and its
 * requests carry the cookie (and CORS lets such local origins read the answer). So the call must come from the
 * Core's own origin: the `Origin` header, when present, names the host the request was sent to or the
 * configured public URL; without it, a browser's `Sec-Fetch-Site` must say same-origin. A program that sends
 * neither header is not a browser and cannot be made to send someone else's cookie.
 */
export function assertOwnOrigin(req: IncomingMessage, publicUrl: string): void {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") throw refused();
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    throw refused(); // "null" (sandboxed frames, file: pages) and anything else unparseable
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw refused();
  if (parsed.origin === new URL(publicUrl).origin) return;
  if (parsed.origin !== addressedOrigin(parsed, req.headers.host)) throw refused();
}
