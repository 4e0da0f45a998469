import { randomBase64url } from "../tracing/random-pool.ts";

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A new request id: 16 base64url characters (96 random bits), so ids reveal nothing about how many requests came before. */
export function newRequestId(): string {
  return randomBase64url(12);
}

/** Keeps a caller's X-Request-Id when it is a plausible id (so traces join up), otherwise mints one. */
export function pickRequestId(header: string | string[] | undefined): string {
  return typeof header === "string" && SAFE_ID.test(header) ? header : newRequestId();
}
