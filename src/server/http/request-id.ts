import { randomBytes } from "node:crypto";

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Request ids need to be unique, not secret: a random per-process prefix and a counter are unique across
// processes and restarts, and far cheaper on the hot path than a UUID per request.
const PREFIX = randomBytes(6).toString("base64url");
let counter = 0;

export function newRequestId(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${PREFIX}-${counter.toString(36)}`;
}

/** Keeps a caller's X-Request-Id when it is a plausible id (so traces join up), otherwise mints one. */
export function pickRequestId(header: string | string[] | undefined): string {
  return typeof header === "string" && SAFE_ID.test(header) ? header : newRequestId();
}
