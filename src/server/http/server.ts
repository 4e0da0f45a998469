import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { authenticate } from "../auth/authenticate.ts";
import { clientAddress, parseTrustedProxies } from "../auth/client-address.ts";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError, toCoreError } from "../errors.ts";
import { loggablePath } from "../log.ts";
import { appRouter } from "../trpc/app-router.ts";
import { screenTrpcInput } from "../trpc/input-screen.ts";
import { applyCors } from "./cors.ts";
import { API_SECURITY_HEADERS, setHeaders, studioSecurityHeaders } from "./security-headers.ts";
import { answerHealth, handleHealth } from "./health.ts";
import { newRequestId, pickRequestId } from "./request-id.ts";
import { sendError } from "./respond.ts";
import { createRestDispatcher, REST_PREFIX } from "./rest-dispatcher.ts";
import { restRoutes } from "./rest-routes.ts";
import type { StudioHandler } from "../studio/in-process.ts";
import { isAppFrontendPath, serveAppFrontend } from "../workers/static-files.ts";
import { isSharePath, serveSharePage } from "../public-shares/share-page.ts";
import { METRICS_PATH, serveMetrics } from "../metrics/endpoint.ts";
import { ROUTE_LABEL, trpcRouteLabel } from "../metrics/route-labels.ts";
import { runInRequest, traceparentOf, type RequestContext } from "../tracing/context.ts";
import type { HttpSpan } from "../tracing/otel.ts";
import { newSpanId, newTraceId, parseTraceparent } from "../tracing/traceparent.ts";
import { DEFAULT_BODY_LIMIT, type RestRoute } from "./types.ts";

export const TRPC_PREFIX = "/api/trpc";

const requestIds = new WeakMap<IncomingMessage, string>();

/** The status recorded (log, metrics, span) for a request whose client closed the connection before the answer was complete. */
export const CLIENT_CLOSED = 499;


/** Whether the raw header list holds Origin, X-Request-Id or traceparent: a probe with none takes the fast path. */
function hasOriginOrRequestId(raw: string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if ((name.length === 6 || name.length === 11 || name.length === 12) && /^(origin|x-request-id|traceparent)$/i.test(name)) return true;
  }
  return false;
}

function startsWithSegment(path: string, prefix: string): boolean {
  return path === prefix || (path.startsWith(prefix) && (path[prefix.length] === "/" || path[prefix.length] === "?"));
}

/**
 * The one request handler: /health, the REST API and tRPC are answered here, before Next.js ever sees the
 * request; everything else is the Studio.
 */
export function createRequestHandler(core: Core, studio: StudioHandler | undefined, routes: RestRoute[] = restRoutes) {
  const rest = createRestDispatcher(routes);
  const trustedProxies = parseTrustedProxies(core.config.trustedProxies);
  const clientIp = (req: IncomingMessage) => clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], trustedProxies);
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: `${TRPC_PREFIX}/`,
    maxBodySize: DEFAULT_BODY_LIMIT,
    createContext: ({ req, res }) => {
      let principal: Promise<Principal> | undefined;
      return {
        core,
        requestId: requestIds.get(req) ?? newRequestId(),
        ip: clientIp(req),
        userAgent: req.headers["user-agent"] ?? null,
        req,
        res,
        authenticate: () => (principal ??= authenticate(core, req.headers.authorization)),
      };
    },
    // tRPC replaces the Vary header applyCors set with its own; its answers depend on Origin all the same.
    responseMeta: () => ({ headers: new Headers([["vary", "Origin"]]) }),
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") core.log.error({ err: error.cause ?? error, path }, "tRPC procedure failed");
    },
  });

  const logHealth = core.log.isLevelEnabled("debug");
  const metrics = core.metrics;

  return function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "/";
    // The liveness probe is polled constantly: it is answered synchronously, with no listener or promise, and
    // without building the request's header object when the raw list holds neither Origin, X-Request-Id nor traceparent.
    if (url === "/health" && !logHealth && (req.method === "GET" || req.method === "HEAD") && !hasOriginOrRequestId(req.rawHeaders)) {
      if (!metrics.enabled) return answerHealth(res, newRequestId());
      const started = performance.now();
      answerHealth(res, newRequestId());
      metrics.observeHttp(ROUTE_LABEL.health, req.method, 200, (performance.now() - started) / 1000);
      return;
    }
    // A valid traceparent makes this request a span of the caller's trace; a malformed one is ignored (W3C: start anew).
    const parent = parseTraceparent(req.headers.traceparent);
    const ctx: RequestContext = {
      requestId: pickRequestId(req.headers["x-request-id"]),
      traceId: parent?.traceId ?? newTraceId(),
      spanId: newSpanId(),
      parentSpanId: parent?.parentId,
      flags: parent?.flags ?? "00",
      route: ROUTE_LABEL.unmatched,
    };
    const span = core.spans?.startHttpSpan(ctx, req.method ?? "GET", parent);
    // Everything the request causes, however deep, runs in its context: log lines carry its ids (log.ts).
    runInRequest(ctx, () => void serve(req, res, url, ctx, span));
  };

  /** Answers the request and records it once, when the response closes: after it finished, or when the client left first. */
  // Not async: route() catches every failure itself, so wrapping its promise in another would only add one per request.
  function serve(req: IncomingMessage, res: ServerResponse, url: string, ctx: RequestContext, span: HttpSpan | undefined): Promise<void> {
    const started = performance.now();
    res.setHeader("x-request-id", ctx.requestId);
    res.setHeader("traceparent", traceparentOf(ctx));
    setHeaders(res, API_SECURITY_HEADERS);
    const path = loggablePath(url);
    // Liveness probes would drown everything else at info level.
    const level = path === "/health" ? "debug" : "info";
    const logged = core.log.isLevelEnabled(level) ? level : undefined;
    if (logged || metrics.enabled || span) {
      // "close" follows "finish" on a complete answer, and comes alone when the client leaves first: an SSE stream it
      // closed, a download it dropped, an RPC it stopped waiting for (whose late 200 then goes nowhere). This listener
      // is added before any route's own, so it sees whether the answer was complete before anyone ends it on close.
      res.once("close", () => record(req, res, ctx, span, started, logged, path, !res.writableFinished));
    }
    return route(req, res, url, ctx);
  }

  /** Logs and measures the request. One the client abandoned gets status 499 (nginx's "client closed request"). */
  function record(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, span: HttpSpan | undefined, started: number, level: "debug" | "info" | undefined, path: string, aborted: boolean): void {
    const ms = performance.now() - started;
    const status = aborted ? CLIENT_CLOSED : res.statusCode;
    metrics.observeHttp(ctx.route, req.method, status, ms / 1000);
    span?.end(ctx.route, status);
    if (!level) return;
    if (aborted) core.log[level]({ requestId: ctx.requestId, traceId: ctx.traceId, method: req.method, path, status, aborted: true, statusSent: res.headersSent ? res.statusCode : null, ms: Math.round(ms) }, "request");
    else core.log[level]({ requestId: ctx.requestId, traceId: ctx.traceId, method: req.method, path, status, ms: Math.round(ms) }, "request");
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: string, ctx: RequestContext): Promise<void> {
    const requestId = ctx.requestId;
    try {
      if (!url.startsWith("/")) {
        // "OPTIONS *" asks about the server as a whole; other targets that are not a path (absolute-form, meant
        // for a forward proxy) would reach the Studio, which answers them with a redirect to whatever host they name.
        if (url === "*" && req.method === "OPTIONS") {
          res.writeHead(204, { allow: "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS" }).end();
          return;
        }
        throw new CoreError("BAD_REQUEST", "the request target must be a path");
      }
      if (url === "/health" || url.startsWith("/health?")) {
        ctx.route = ROUTE_LABEL.health;
        applyCors(req, res);
        await handleHealth(req, res, core);
      } else if (url === METRICS_PATH || url.startsWith(`${METRICS_PATH}?`)) {
        ctx.route = ROUTE_LABEL.metrics;
        await serveMetrics(req, res, core);
      } else if (startsWithSegment(url, REST_PREFIX)) {
        if (applyCors(req, res)) {
          ctx.route = ROUTE_LABEL.preflight;
          return;
        }
        // The dispatcher names the matched route template (claimRoute); an unknown path stays "unmatched".
        await rest.dispatch(req, res, { core, requestId, ip: clientIp(req) });
      } else if (startsWithSegment(url, TRPC_PREFIX)) {
        ctx.route = trpcRouteLabel(url, TRPC_PREFIX.length);
        if (applyCors(req, res)) return;
        // tRPC speaks GET (queries) and POST (mutations, batches); it answers some other methods with a 500.
        if (req.method !== "GET" && req.method !== "POST") throw new CoreError("METHOD_NOT_ALLOWED", `method ${req.method} not allowed`, { headers: { allow: "GET, POST" } });
        requestIds.set(req, requestId);
        await screenTrpcInput(req, url, DEFAULT_BODY_LIMIT);
        trpc(req, res);
      } else if (isSharePath(url)) {
        ctx.route = ROUTE_LABEL.share;
        await serveSharePage(req, res, core, url);
      } else if (isAppFrontendPath(url)) {
        ctx.route = ROUTE_LABEL.appFrontend;
        await serveAppFrontend(req, res, core.config.dataDir, url);
      } else if (studio) {
        ctx.route = ROUTE_LABEL.studio;
        setHeaders(res, studioSecurityHeaders(studio.dev ?? false));
        await studio.handle(req, res);
      } else {
        sendError(res, new CoreError("NOT_FOUND", "not found"));
      }
    } catch (err) {
      const e = toCoreError(err);
      if (e.code === "INTERNAL") core.log.error({ err, requestId }, "request failed");
      sendError(res, e);
    }
  }
}

export interface HttpServer {
  server: http.Server;
  url: string;
  /** Stops accepting connections and waits for in-flight requests (up to `graceMs`) before closing the rest. */
  close(graceMs?: number): Promise<void>;
}

export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host: string,
  port: number,
): Promise<HttpServer> {
  const server = http.createServer({ keepAliveTimeout: 5_000 }, handler);
  // CONNECT is not a request node:http hands to the handler: unanswered, the client would see the connection drop.
  server.on("connect", (_req: IncomingMessage, socket: Duplex) => {
    // An error on this raw socket must not become an uncaught exception; what the client still sends is read
    // and dropped, so that closing does not reset the connection before the client has read the answer.
    socket.on("error", () => socket.destroy());
    socket.resume();
    const body = JSON.stringify({ error: "method CONNECT not allowed" });
    socket.end(`HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as { port: number };
  const displayHost = host === "0.0.0.0" ? "127.0.0.1" : host;
  return {
    server,
    url: `http://${displayHost}:${address.port}`,
    close(graceMs = 10_000) {
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        // Keep-alive connections become idle as their last response ends; close them as they do.
        const sweep = setInterval(() => server.closeIdleConnections(), 100);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          clearInterval(sweep);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
