import { currentRequest, traceparentOf, type RequestContext } from "../tracing/context.ts";
import { newSpanId, newTraceId, parseTraceparent } from "../tracing/traceparent.ts";

/**
 * The request ids that cross the worker boundary (additive fields of spec §4: an older worker ignores them). The
 * Core sends `request_id` and `traceparent` with an rpc; the worker host sends `request_id` back on the log lines and
 * data requests it makes while serving that call.
 */

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The fields an rpc (or job) message carries when it is sent while serving a request. */
export function callTraceFields(): { request_id: string; traceparent: string } | undefined {
  const ctx = currentRequest();
  return ctx ? { request_id: ctx.requestId, traceparent: traceparentOf(ctx) } : undefined;
}

// A flooding handler writes thousands of lines for one request: its id is checked and its prefix built once.
let lastId = "";
let lastPrefix = "";

/** A worker's log line prefixed with the request it was written for, so log readers can follow one request. */
export function withRequestId(msg: Record<string, unknown>, message: string): string {
  const id = msg.request_id;
  if (typeof id !== "string") return message;
  if (id !== lastId) {
    if (!SAFE_ID.test(id)) return message;
    lastId = id;
    lastPrefix = `[request_id=${id}] `;
  }
  return lastPrefix + message;
}

/**
 * The request context a worker's data request runs in: the request (and span) the worker names, the one whose call it
 * serves. A worker could name any id; the ids only label the Core's log lines, they grant nothing.
 */
export function requestContextOf(msg: Record<string, unknown>): RequestContext | undefined {
  const id = msg.request_id;
  if (typeof id !== "string" || !SAFE_ID.test(id)) return undefined;
  const parent = parseTraceparent(typeof msg.traceparent === "string" ? msg.traceparent : undefined);
  return { requestId: id, traceId: parent?.traceId ?? newTraceId(), spanId: newSpanId(), parentSpanId: parent?.parentId, flags: parent?.flags ?? "00", route: "worker" };
}
