import { randomUUID } from "node:crypto";

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a caller's X-Request-Id when it is a plausible id (so traces join up), otherwise mints one. */
export function pickRequestId(header: string | string[] | undefined): string {
  return typeof header === "string" && SAFE_ID.test(header) ? header : randomUUID();
}
