import { writeLog } from "./logging.ts";
import type { RpcHandler, ServeHooks } from "./types.ts";

/** What `serve()` was given, in one shape (spec §4.3 item 2). */
export interface Handlers extends ServeHooks {
  rpc: Record<string, RpcHandler>;
}

const HOOK_KEYS = ["onStart", "onJob", "onShutdown"] as const;
const CONFIG_KEYS = ["rpc", ...HOOK_KEYS];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

function hooksOf(source: Record<string, unknown>, into: Handlers): void {
  for (const key of HOOK_KEYS) {
    const hook = source[key];
    if (hook === undefined) continue;
    if (typeof hook !== "function") throw new TypeError(`serve(): ${key} must be a function`);
    into[key] = hook as never;
  }
}

/**
 * Accepts `serve({rpc, onStart?, onJob?, onShutdown?})`, the deprecated flat `serve({method: fn})` (treated as
 * `{rpc}`, as the original does: any of the reserved keys makes it the new form) and the documented
 * `serve(rpc, {onStart})` of seed 003. Throws a TypeError naming what is wrong.
 */
export function normaliseHandlers(config: unknown, hooks: unknown): Handlers {
  const given = config ?? {};
  if (!isObject(given)) throw new TypeError("serve() expects an object: serve({ rpc: { … }, onStart?, onJob?, onShutdown? })");
  const structured = CONFIG_KEYS.some((key) => key in given);
  const rpc = structured ? (given.rpc ?? {}) : given;
  if (!isObject(rpc)) throw new TypeError("serve(): rpc must be an object of functions");
  for (const [name, fn] of Object.entries(rpc)) {
    if (typeof fn !== "function") throw new TypeError(`serve(): rpc method ${JSON.stringify(name)} is not a function`);
  }
  const handlers: Handlers = { rpc: rpc as Record<string, RpcHandler> };
  if (structured) hooksOf(given, handlers);
  if (hooks !== undefined && hooks !== null) {
    if (!isObject(hooks)) throw new TypeError("serve(): the second argument must be an object of hooks");
    hooksOf(hooks, handlers);
  }
  if (!structured && hooks === undefined && Object.keys(rpc).length > 0) {
    writeLog("warn", "serve() was called with the flat form (deprecated): use serve({ rpc: { … } })");
  }
  return handlers;
}

/** The handler for `method`, only if the app defined it itself (never an inherited `toString` or `constructor`). */
export function rpcHandler(handlers: Handlers, method: string): RpcHandler | undefined {
  return Object.hasOwn(handlers.rpc, method) ? handlers.rpc[method] : undefined;
}
