"use client";
import { getAccessToken } from "../auth/token-store.ts";

/** A REST refusal: the Core's `{error}` sentence and the HTTP status (read by the query retry policy). */
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

/**
 * A JSON call to the Core's REST API (`/api/v1…`) with the Studio's bearer token, for the routes tRPC does not
 * offer (multipart deploys, history, SSE). The answer is `unknown`: callers check its shape.
 */
export async function restJson(path: string, init: { method?: "GET" | "POST"; body?: unknown } = {}): Promise<unknown> {
  const res = await fetch(`/api/v1${path}`, {
    method: init.method ?? "GET",
    headers: { ...authHeaders(), ...(init.body !== undefined ? { "content-type": "application/json" } : {}) },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw errorFromBody(res.status, text);
  return text ? (JSON.parse(text) as unknown) : undefined;
}
