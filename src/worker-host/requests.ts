import { toJson } from "./serialize.ts";
import { REPLY_TYPE, type RequestType } from "./protocol.ts";
import { requestTraceFields } from "./trace.ts";
import { send } from "./wire.ts";

/**
 * The worker's own requests to the Core (spec §4.2: sql_*, collection_op, self_action, storage_upload): each gets
 * an id unique in this process, is answered by the reply carrying the same id, and fails with a clear error when
 * no answer comes within the timeout (30 s as in the original; ROOTCX_IPC_TIMEOUT_MS lets tests shorten it, the
 * supervisor never sets it).
 */

export type Reply = { type: string; id: string | number } & Record<string, unknown>;

const REPLY_TYPES = new Set<string>(Object.values(REPLY_TYPE));

export const REQUEST_TIMEOUT_MS = (() => {
  const configured = Number(process.env.ROOTCX_IPC_TIMEOUT_MS);
  return Number.isInteger(configured) && configured > 0 ? configured : 30_000;
})();

interface Pending {
  type: RequestType;
  resolve(reply: Reply): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

const pending = new Map<string, Pending>();
let sequence = 0;

/** Sends a request and resolves with its reply; an `error` in the reply, a refusal to send or the timeout rejects. */
export function request(type: RequestType, fields: Record<string, unknown>): Promise<Reply> {
  const id = `${type}:${++sequence}`;
  return new Promise<Reply>((resolve, reject) => {
    try {
      // The Core runs the request as part of the call's request, so its own log lines about it carry the id too.
      send({ type, id, ...fields, ...requestTraceFields() });
    } catch (err) {
      reject(err instanceof Error ? new Error(`${type}: ${err.message}`) : new Error(`${type}: ${String(err)}`));
      return;
    }
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`${type}: no answer from the Core within ${REQUEST_TIMEOUT_MS / 1000} s`));
    }, REQUEST_TIMEOUT_MS);
    pending.set(id, { type, resolve, reject, timer });
  });
}

/** True when `type` is a reply to one of the worker's requests. */
export const isReplyType = (type: string): boolean => REPLY_TYPES.has(type);

/** Settles the request a reply answers. A reply nobody waits for any more (timed out) is dropped. */
export function settle(reply: Reply): void {
  const key = String(reply.id);
  const waiting = pending.get(key);
  if (!waiting) return;
  pending.delete(key);
  clearTimeout(waiting.timer);
  if (reply.error !== undefined && reply.error !== null) waiting.reject(new Error(typeof reply.error === "string" ? reply.error : toJson(reply.error)));
  else if (reply.type !== REPLY_TYPE[waiting.type]) waiting.reject(new Error(`${waiting.type}: the Core answered with ${reply.type}`));
  else waiting.resolve(reply);
}
