// The Core as the auth and data benchmarks need it: API only, and login rate limits lifted (they exist to
// stop exactly the kind of load a benchmark generates).
import { startCore } from "../src/server/boot.ts";

const running = await startCore({
  studio: false,
  authLimits: { loginPerIpPerMinute: 10_000_000, failuresPerAccount: 10_000_000, registrationsPerIpPerHour: 10_000_000 },
  // bench/realtime.ts opens up to 1000 change streams with two tokens: the per-principal cap is lifted likewise.
  realtimeLimits: { maxSubscribersPerPrincipal: 10_000 },
});
process.on("SIGTERM", () => void running.stop().then(() => process.exit(0)));
