import type { Registry } from "prom-client";
import { FastHistogram, type Series } from "./fast-histogram.ts";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"] as const;

/** Any other method (node:http accepts dozens) counts as "other": a client must not be able to mint label values. */
function methodIndex(method: string | undefined): number {
  switch (method) {
    case "GET": return 0;
    case "HEAD": return 1;
    case "POST": return 2;
    case "PUT": return 3;
    case "PATCH": return 4;
    case "DELETE": return 5;
    case "OPTIONS": return 6;
    default: return 7;
  }
}

/** From half a millisecond (a cached /health) to ten seconds (a slow RPC); past that, +Inf. */
export const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * `rootcx_http_request_duration_seconds{route, method, status}`; its `_count` is the request counter. Each label
 * combination's series is looked up once and kept, so recording a request is two map reads and a bucket search: no
 * label object, no hashing, no allocation on the hot path.
 */
export class HttpMetrics {
  readonly #histogram: FastHistogram;
  readonly #series = new Map<string, Map<number, Series>>();

  constructor(registry: Registry) {
    this.#histogram = new FastHistogram(
      "rootcx_http_request_duration_seconds",
      "HTTP requests by route template, method and status, and how long each took to answer (seconds).",
      HTTP_BUCKETS,
      registry,
    );
  }

  /** `route` is a template (bounded set), never a raw path. */
  observe(route: string, method: string | undefined, status: number, seconds: number): void {
    let byRoute = this.#series.get(route);
    if (byRoute === undefined) this.#series.set(route, (byRoute = new Map()));
    const m = methodIndex(method);
    const key = m * 1000 + status;
    let series = byRoute.get(key);
    if (series === undefined) {
      series = this.#histogram.series({ route, method: METHODS[m]!, status: String(status) });
      byRoute.set(key, series);
    }
    this.#histogram.observe(series, seconds);
  }
}
