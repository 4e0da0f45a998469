import type { Span, Tracer } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { RequestContext } from "./context.ts";
import { reportingExporter } from "./reporting-exporter.ts";
import { newSpanId, newTraceId, type TraceParent } from "./traceparent.ts";

/** One exported HTTP server span, ended when the response is. */
export interface HttpSpan {
  end(route: string, status: number): void;
}

/** The OpenTelemetry export, present only when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
export interface SpanExport {
  /** Starts the request's span (a child of the caller's when it sent a traceparent) and gives `ctx` its ids. */
  startHttpSpan(ctx: RequestContext, method: string, parent: TraceParent | undefined): HttpSpan;
  /** Sends what is still batched and stops the exporter. */
  shutdown(): Promise<void>;
}

/**
 * Loads the official SDK and an OTLP/HTTP exporter. The imports are dynamic so that a Core without an endpoint never
 * loads the SDK: export costs nothing when it is off. Spans are made by hand at the Core's one HTTP entry point
 * rather than by patching `http` (auto-instrumentation must be loaded before the modules it patches, which an
 * optional, configuration-driven import cannot be).
 */
export async function startSpanExport(opts: { endpoint: string; serviceName: string; version: string }, log: Logger): Promise<SpanExport> {
  const [api, { NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/api"),
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
  ]);
  // OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base URL; traces go to its /v1/traces (OTLP/HTTP spec).
  const url = `${opts.endpoint.replace(/\/+$/, "")}/v1/traces`;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": opts.serviceName, "service.version": opts.version }),
    spanProcessors: [new BatchSpanProcessor(reportingExporter(new OTLPTraceExporter({ url }), log))],
    // The SDK's own generator draws on Math.random; ours are the CSPRNG ids the Core uses when export is off.
    idGenerator: { generateTraceId: newTraceId, generateSpanId: newSpanId },
  });
  const tracer: Tracer = provider.getTracer("rootcx-core", opts.version);
  log.info({ url }, "exporting HTTP spans over OTLP");

  return {
    startHttpSpan(ctx, method, parent) {
      const parentContext = parent
        ? api.trace.setSpanContext(api.ROOT_CONTEXT, { traceId: parent.traceId, spanId: parent.parentId, traceFlags: parseInt(parent.flags, 16), isRemote: true })
        : api.ROOT_CONTEXT;
      const span: Span = tracer.startSpan(method, { kind: api.SpanKind.SERVER, attributes: { "http.request.method": method } }, parentContext);
      const sc = span.spanContext();
      ctx.traceId = sc.traceId;
      ctx.spanId = sc.spanId;
      ctx.flags = (sc.traceFlags & 0xff).toString(16).padStart(2, "0");
      return {
        end(route, status) {
          span.updateName(`${method} ${route}`);
          span.setAttributes({ "http.route": route, "http.response.status_code": status, "rootcx.request_id": ctx.requestId });
          if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
          span.end();
        },
      };
    },
    async shutdown() {
      await provider.shutdown().catch((err: unknown) => log.warn({ err }, "the OpenTelemetry exporter did not shut down cleanly"));
    },
  };
}
