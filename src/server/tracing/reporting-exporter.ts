import type { SpanExporter } from "@opentelemetry/sdk-trace-node";
import type { Logger } from "pino";

/** At most one warning per minute: a collector that is down would otherwise add a line to every batch. */
export const EXPORT_WARNING_INTERVAL_MS = 60_000;

type ExportResult = Parameters<Parameters<SpanExporter["export"]>[1]>[0];

// ExportResultCode.SUCCESS in @opentelemetry/core, which the Core does not depend on directly.
const SUCCESS = 0;

/**
 * Wraps the OTLP exporter so that a failed export is not silent: the SDK drops a batch it could not send without a
 * word. The first failure warns at once, later ones at most once per interval, with how many failed in between.
 */
export function reportingExporter(inner: SpanExporter, log: Logger, intervalMs = EXPORT_WARNING_INTERVAL_MS): SpanExporter {
  let lastWarning = -Infinity;
  let failedSince = 0;
  const report = (result: ExportResult, spans: number) => {
    if (result.code === SUCCESS) return;
    failedSince++;
    const now = performance.now();
    if (now - lastWarning < intervalMs) return;
    log.warn({ err: result.error, spans, failedExports: failedSince }, "OpenTelemetry span export failed: spans were dropped");
    lastWarning = now;
    failedSince = 0;
  };
  return {
    export(spans, done) {
      inner.export(spans, (result) => {
        report(result, spans.length);
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}
