import { buildContext, type BootData } from "./context.ts";
import { normaliseHandlers, rpcHandler, type Handlers } from "./handlers.ts";
import { shutdown } from "./lifetime.ts";
import { writeLog } from "./logging.ts";
import { isReplyType, settle, type Reply } from "./requests.ts";
import { errorText, truncateUtf8 } from "./serialize.ts";
import { runTraced, traceOf } from "./trace.ts";
import type { WorkerContext } from "./types.ts";
import { lineReader, MAX_LINE_BYTES, MessageTooLargeError, send } from "./wire.ts";

/**
 * The Core → worker half of the protocol (spec §4.1, §4.3): the handshake, rpc, job and shutdown for a v2
 * worker (one that called `serve()`), and the replies to the worker's own requests for v1 and v2 alike.
 * A v1 worker (no `serve()`) reads stdin itself; the runtime then stays silent on discover, rpc, job and shutdown.
 */

export const PROTOCOL_VERSION = 2;
/** Error sentences go back to the Core in full up to this size; a larger one is cut. */
const MAX_ERROR_BYTES = 64 * 1024;

type Message = { type: string } & Record<string, unknown>;

let handlers: Handlers | null = null;
// Until discover, what the supervisor's environment says (the legacy globals of a v1 worker may need it).
let boot: BootData = { app_id: process.env.ROOTCX_APP_ID, runtime_url: process.env.ROOTCX_RUNTIME_URL };
let ctx: WorkerContext = buildContext(boot);
/** The Core's discover when it arrived before `serve()` (a v1-style reader was attached first); answered by serve(). */
let unansweredDiscover: Message | null = null;
let onStartRan = false;
let reading = false;

/** The ctx built from the latest discover (the legacy globals use it too). */
export const currentContext = (): WorkerContext => ctx;

const isId = (value: unknown): value is string | number => typeof value === "string" || typeof value === "number";

/** Runs a handler, sync or async, as a promise; a synchronous throw becomes a rejection. */
const invoke = (fn: (...args: never[]) => unknown, ...args: unknown[]): Promise<unknown> =>
  new Promise((resolve) => resolve((fn as (...a: unknown[]) => unknown)(...args)));

const errorReply = (type: string, id: string | number, err: unknown) => send({ type, id, error: truncateUtf8(errorText(err), MAX_ERROR_BYTES) });

/** Sends the handler's result; one the wire cannot carry (too large, a cycle) becomes an error reply, never a crash. */
function replyResult(id: string | number, result: unknown): void {
  // JSON has no form for these at the top level; without this the reply would lose its `result` field.
  const value = result === undefined || typeof result === "function" || typeof result === "symbol" ? null : result;
  try {
    send({ type: "rpc_response", id, result: value });
  } catch (err) {
    const reason = err instanceof MessageTooLargeError
      ? `result too large (${err.bytes} bytes, ${MAX_LINE_BYTES / (1024 * 1024)} MiB at most)`
      : `result is not serialisable: ${errorText(err)}`;
    errorReply("rpc_response", id, reason);
  }
}

function onDiscover(message: Message): void {
  boot = message as BootData;
  ctx = buildContext(boot);
  if (!handlers) {
    unansweredDiscover = message;
    return;
  }
  send({ type: "discover", protocol: PROTOCOL_VERSION, methods: Object.keys(handlers.rpc) });
  const onStart = handlers.onStart;
  if (message.run_onstart === true && !onStartRan) {
    onStartRan = true;
    // Tells the Core onStart is over (resolved, threw, or there was none): its data bypass closes now, so timers
    // onStart left behind read and write as the lifecycle worker's own identity, not past row-level security.
    const done = () => send({ type: "onstart_complete" });
    if (!onStart) return done();
    invoke(onStart, ctx)
      .catch((err: unknown) => writeLog("error", `onStart failed: ${errorText(err)}`))
      .finally(done);
  }
}

function onRpc(message: Message, active: Handlers): void {
  const { id, method } = message;
  if (!isId(id)) return writeLog("warn", "ignored an rpc message without an id");
  const fn = typeof method === "string" ? rpcHandler(active, method) : undefined;
  if (!fn) return errorReply("rpc_response", id, `unknown method: ${String(method)}`);
  runTraced(traceOf(message), () => invoke(fn, message.params, message.caller ?? null, ctx)).then(
    (result) => replyResult(id, result),
    (err: unknown) => errorReply("rpc_response", id, err),
  );
}

function onJob(message: Message, active: Handlers): void {
  const { id } = message;
  if (!isId(id)) return writeLog("warn", "ignored a job message without an id");
  const job = active.onJob;
  if (!job) return send({ type: "job_result", id });
  runTraced(traceOf(message), () => invoke(job, message.payload, message.caller ?? null, ctx)).then(
    () => send({ type: "job_result", id }),
    (err: unknown) => errorReply("job_result", id, err),
  );
}

function dispatch(message: Message): void {
  if (isReplyType(message.type)) {
    if (isId(message.id)) settle(message as Reply);
    return;
  }
  if (message.type === "discover") return onDiscover(message);
  if (!handlers) return;
  if (message.type === "rpc") return onRpc(message, handlers);
  if (message.type === "job") return onJob(message, handlers);
  if (message.type === "shutdown") return shutdown(handlers.onShutdown);
}

function onLine(line: string): void {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    // v1 workers may share stdin with the runtime; only a v2 worker's input is the runtime's to judge.
    if (handlers) writeLog("warn", "ignored a line from the Core that is not JSON");
    return;
  }
  if (typeof message !== "object" || message === null || typeof (message as Message).type !== "string") return;
  try {
    dispatch(message as Message);
  } catch (err) {
    writeLog("error", `worker runtime: ${errorText(err)}`);
  }
}

/**
 * Starts reading stdin for the runtime (idempotent). `resume` is false when a v1 app started reading itself:
 * its own listener drives the stream. Once reading, the end of stdin means the Core is gone.
 */
export function startReading(resume: boolean): void {
  if (reading) {
    if (resume) process.stdin.resume();
    return;
  }
  reading = true;
  const read = lineReader(onLine, (bytes) => writeLog("error", `dropped a line from the Core longer than 1 MiB (${bytes} bytes so far)`));
  process.stdin.on("data", read);
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("error", () => process.exit(0));
  if (resume) process.stdin.resume();
}

/** `serve()`: registers the handlers, then (only then) reads stdin, where the Core's discover is waiting. */
export function serve(config?: unknown, hooks?: unknown): void {
  if (handlers) throw new Error("serve() called twice");
  handlers = normaliseHandlers(config, hooks);
  if (unansweredDiscover) onDiscover(unansweredDiscover);
  unansweredDiscover = null;
  startReading(true);
}

/** True once `serve()` ran. */
export const served = (): boolean => handlers !== null;
