// The Core as the data suite runs it (API only, login limits lifted, as bench/auth-server.ts), plus what the
// tail investigation of issue 19 reads: event-loop delay (monitorEventLoopDelay) and garbage-collection pauses.
// Each SIGUSR2 prints the readings since the previous one to stderr as one line and starts over, so the suite
// brackets a load run with two signals and reads that run alone.
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { startCore } from "../src/server/boot.ts";

const running = await startCore({
  studio: false,
  authLimits: { loginPerIpPerMinute: 10_000_000, failuresPerAccount: 10_000_000, registrationsPerIpPerHour: 10_000_000 },
});

const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
let gcCount = 0;
let gcMs = 0;
let gcMaxMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcCount++;
    gcMs += e.duration;
    gcMaxMs = Math.max(gcMaxMs, e.duration);
  }
}).observe({ entryTypes: ["gc"] });

// The most callers seen waiting for a governed connection, sampled every 5 ms.
let poolWaitMax = 0;
setInterval(() => (poolWaitMax = Math.max(poolWaitMax, running.core.governed.poolStats().waiting)), 5).unref();

process.on("SIGUSR2", () => {
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  console.error(
    `  core: event loop delay p50 ${ms(loop.percentile(50))} ms, p99 ${ms(loop.percentile(99))} ms, max ${ms(loop.max)} ms; gc ${gcCount} pauses, ${gcMs.toFixed(0)} ms in all, longest ${gcMaxMs.toFixed(1)} ms; at most ${poolWaitMax} callers waiting for a governed connection`,
  );
  loop.reset();
  gcCount = 0;
  gcMs = 0;
  gcMaxMs = 0;
  poolWaitMax = 0;
});
process.on("SIGTERM", () => void running.stop().then(() => process.exit(0)));
