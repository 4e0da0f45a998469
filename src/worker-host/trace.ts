import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The Core request an rpc or job serves: the Core sends `request_id` and `traceparent` with the call (fields added to
 * spec §4.1's messages; an older Core sends neither). Held in AsyncLocalStorage while the handler runs, so every log
 * line and every request it makes to the Core, however deep, carries the id.
 */
export interface CallTrace {
  requestId: string;
  /** The W3C traceparent of the Core's span for the call, to continue the trace in the app's own outbound calls. */
  traceparent: string | null;
}

interface Held {
  trace: CallTrace;
  /** Built once per call: a log line only names the request (a flooding handler writes thousands of lines). */
  logFields: { request_id: string };
  requestFields: { request_id: string; traceparent?: string };
}

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const storage = new AsyncLocalStorage<Held>();

/** The trace fields of a Core message, when it carries valid ones. */
export function traceOf(message: Record<string, unknown>): CallTrace | undefined {
  const id = message.request_id;
  if (typeof id !== "string" || !SAFE_ID.test(id)) return undefined;
  const tp = message.traceparent;
  return { requestId: id, traceparent: typeof tp === "string" && TRACEPARENT.test(tp) ? tp : null };
}

/** Runs `fn` as part of `trace` (or plainly, without one). */
export function runTraced<T>(trace: CallTrace | undefined, fn: () => T): T {
  if (!trace) return fn();
  const logFields = { request_id: trace.requestId };
  const requestFields = trace.traceparent ? { request_id: trace.requestId, traceparent: trace.traceparent } : logFields;
  return storage.run({ trace, logFields, requestFields }, fn);
}

/** The call the running code serves, if any. */
export const currentTrace = (): CallTrace | undefined => storage.getStore()?.trace;

/** The field a log line carries while serving a traced call. */
export const logTraceFields = (): { request_id: string } | undefined => storage.getStore()?.logFields;

/** The fields a request to the Core carries while serving a traced call. */
export const requestTraceFields = (): { request_id: string; traceparent?: string } | undefined => storage.getStore()?.requestFields;
