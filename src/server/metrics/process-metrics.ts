import { createHistogram } from "node:perf_hooks";
import { Counter, Gauge, type Registry } from "prom-client";

/**
 * CPU, memory, heap and event-loop delay, under the names of prom-client's default metrics (so the usual Node.js
 * dashboards work), all read at scrape time. prom-client's own default set is not used: its GC-duration metric
 * observes every garbage collection, which under request load cost the Core a few percent of CPU in the metrics bench.
 */
const RESOLUTION_MS = 10;

export function registerProcessMetrics(registry: Registry): void {
  const registers = [registry];
  // Counters of an absolute, monotonic reading: set by reset + inc at each scrape.
  const cpuCounter = (name: string, help: string, read: (u: NodeJS.CpuUsage) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read(process.cpuUsage()) / 1e6);
      },
    });
  cpuCounter("process_cpu_user_seconds_total", "User CPU time spent in seconds.", (u) => u.user);
  cpuCounter("process_cpu_system_seconds_total", "System CPU time spent in seconds.", (u) => u.system);
  cpuCounter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", (u) => u.user + u.system);

  new Gauge({ name: "process_start_time_seconds", help: "Start time of the process since unix epoch in seconds.", registers }).set(Math.round(Date.now() / 1000 - process.uptime()));
  new Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  const heap = (name: string, help: string, pick: (m: NodeJS.MemoryUsage) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(pick(process.memoryUsage()));
      },
    });
  heap("nodejs_heap_size_total_bytes", "Process heap size from Node.js in bytes.", (m) => m.heapTotal);
  heap("nodejs_heap_size_used_bytes", "Process heap size used from Node.js in bytes.", (m) => m.heapUsed);
  heap("nodejs_external_memory_bytes", "Node.js external memory size in bytes.", (m) => m.external);

  const delay = sampleEventLoopDelay();
  const lag = (name: string, help: string, pick: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        // A block that ended just before the scrape, its tick not yet run, shows in this scrape (once: catchUp moves the tick).
        delay.catchUp();
        // An interval without a sample reports 0 rather than NaN.
        this.set(delay.count > 0 ? Math.max(0, pick() / 1e9 - RESOLUTION_MS / 1000) : 0);
      },
    });
  lag("nodejs_eventloop_lag_min_seconds", "The minimum recorded event loop delay.", () => delay.min);
  lag("nodejs_eventloop_lag_max_seconds", "The maximum recorded event loop delay.", () => delay.max);
  lag("nodejs_eventloop_lag_mean_seconds", "The mean of the recorded event loop delays.", () => delay.mean);
  lag("nodejs_eventloop_lag_p50_seconds", "The 50th percentile of the recorded event loop delays.", () => delay.percentile(50));
  lag("nodejs_eventloop_lag_p90_seconds", "The 90th percentile of the recorded event loop delays.", () => delay.percentile(90));
  lag("nodejs_eventloop_lag_p99_seconds", "The 99th percentile of the recorded event loop delays.", () => {
    const p99 = delay.percentile(99);
    // A scrape runs every collect() synchronously, one after the other: the reset waits until all have read.
    queueMicrotask(() => delay.reset());
    return p99;
  });
}

/**
 * A timer every RESOLUTION_MS records, in nanoseconds, the whole time since the previous tick (the resolution is
 * taken off when read); summarised and reset at each scrape, so each scrape describes the interval since the last.
 * Not monitorEventLoopDelay: its reset()
 * also forgets when the last tick ran, so the tick after a reset records nothing, and a block between a scrape and
 * that tick (the loop blocked right after answering a scrape) never showed. Here the reset clears only the samples.
 */
function sampleEventLoopDelay() {
  const histogram = createHistogram();
  let last = performance.now();
  const record = (now: number) => {
    histogram.record(Math.max(1, Math.round((now - last) * 1e6)));
    last = now;
  };
  setInterval(() => record(performance.now()), RESOLUTION_MS).unref();
  return Object.assign(histogram, {
    /** Records the stretch since the last tick if the tick is already overdue: the loop is late by that much now. */
    catchUp(): void {
      const now = performance.now();
      if (now - last > RESOLUTION_MS) record(now);
    },
  });
}
