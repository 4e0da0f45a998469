import type { IncomingMessage } from "node:http";
import { readTextBody } from "../http/body.ts";
import { alteredByJsonParse } from "../http/input-integrity.ts";

/** Per request: what tRPC's own JSON.parse would silently change in its input (see alteredByJsonParse). */
const problems = new WeakMap<IncomingMessage, string>();

const isJson = (type: string | undefined) => type === undefined || /^application\/json\b/i.test(type) || /^text\/plain\b/i.test(type);

/**
 * tRPC parses its input with JSON.parse, which rounds 750727362669608961 and lets a lone surrogate through to
 * PostgreSQL (stored as U+FFFD). Before tRPC runs, the JSON text is read (a POST body, within `limit`, handed to
 * tRPC as `req.body` so it is not read twice; a GET's `input`) and what it would change is remembered, for the
 * procedures to refuse (see the `screenedInput` middleware) instead of acting on an altered value.
 */
export async function screenTrpcInput(req: IncomingMessage, url: string, limit: number): Promise<void> {
  let text: string | null;
  if (req.method === "POST") {
    // Other content types (form data, binary) are tRPC's to read.
    if (!isJson(req.headers["content-type"])) return;
    text = await readTextBody(req, limit);
    (req as IncomingMessage & { body?: string }).body = text === "" ? undefined : text;
  } else {
    text = new URL(url, "http://core.invalid").searchParams.get("input");
  }
  const problem = text ? alteredByJsonParse(text) : undefined;
  if (problem) problems.set(req, problem);
}

export const inputProblem = (req: IncomingMessage): string | undefined => problems.get(req);
