import type { ServerResponse } from "node:http";
import type { CoreError } from "../errors.ts";

/** A body that is already JSON text (built by PostgreSQL): sent as is, never parsed and re-serialised. */
export class RawJson {
  constructor(readonly text: string) {}
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (headers) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (status === 204 || body === undefined) {
    res.statusCode = status;
    res.end();
    return;
  }
  const payload = body instanceof RawJson ? body.text : JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("content-length", Buffer.byteLength(payload));
  res.end(payload);
}

/** The original's error envelope: `{"error": "<message>"}` with the status of the error table. */
export function sendError(res: ServerResponse, err: CoreError): void {
  sendJson(res, err.status, { error: err.message, ...err.details }, err.headers);
}
