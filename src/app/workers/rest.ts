"use client";
import { getAccessToken } from "../auth/token-store.ts";

/**
 * For the two calls tRPC cannot carry, the multipart deploy upload and the SSE log stream. A REST refusal: the
 * Core's `{error}` sentence and the HTTP status (read by the query retry policy).
 */
export class RestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "RestError";
  }
}

export function authHeaders(): Record<string, string> {
  const token = getAccessToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** The Core's error sentence from an answer body, or a sentence naming the status when it has none. */
export function errorFromBody(status: number, body: string): RestError {
  try {
    const parsed: unknown = JSON.parse(body);
    const error = (parsed as { error?: unknown } | null)?.error;
    if (typeof error === "string" && error) return new RestError(error, status);
  } catch {
    // Not JSON (a proxy's page, a cut connection): the status is all there is to say.
  }
  return new RestError(status === 0 ? "The Core could not be reached." : `The Core answered ${status}.`, status);
}
