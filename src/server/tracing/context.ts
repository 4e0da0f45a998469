import { AsyncLocalStorage } from "node:async_hooks";

/**
 * What every log line, worker RPC and exported span of one request shares. One object per request, held in
 * AsyncLocalStorage so that code deep in a service logs with the request's ids without being handed them.
 */
export interface RequestContext {
  readonly requestId: string;
  /** W3C trace id (32 lower-case hex): the caller's when it sent a valid `traceparent`, otherwise this Core's. */
  traceId: string;
  /** This request's span (16 lower-case hex). */
  spanId: string;
  /** The caller's span, when the request came with a valid `traceparent`. */
  parentSpanId: string | undefined;
  /** The trace flags byte as two hex digits ("01": sampled). */
  flags: string;
  /**
   * The route template the request matched, for metrics and spans (never the raw path): `/api/v1/apps/:appId/rpc`,
   * `/health`, `/api/trpc/auth.login`, `studio`, or `unmatched` until something claims it.
   */
  route: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with `ctx` as the current request: everything it causes, however deep or late, sees it. */
export function runInRequest<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The request the running code serves, if any (a timer or a listener started outside any request has none). */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/** Names the route template the current request matched (the REST dispatcher calls it with the router's match). */
export function claimRoute(template: string): void {
  const ctx = storage.getStore();
  if (ctx) ctx.route = template;
}

/** The W3C `traceparent` value of the current request's span. */
export function traceparentOf(ctx: RequestContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.flags}`;
}
