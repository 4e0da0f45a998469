import { ConfigError } from "./config/load.ts";
import { DatabaseUnavailableError } from "./db/connect.ts";
import { startCore, type RunningCore } from "./boot.ts";
import { VaultKeyError } from "./vault/vault.ts";

function fail(message: string): never {
  process.stderr.write(`rootcx-core: ${message}\n`);
  process.exit(1);
}

let running: RunningCore | undefined;
let signals = 0;

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  signals++;
  if (signals > 1) {
    // A second signal means "now": the embedded cluster still gets its fast-shutdown request on exit.
    process.stderr.write(`rootcx-core: ${signal} again, exiting immediately\n`);
    process.exit(130);
  }
  running?.core.log.info({ signal }, "shutting down: draining requests");
  await running?.stop();
  process.exit(0);
}

process.on("SIGTERM", (s) => void shutdown(s));
process.on("SIGINT", (s) => void shutdown(s));

try {
  running = await startCore({ studio: process.env.ROOTCX_STUDIO_DEV ? "dev" : "prod" });
} catch (err) {
  if (err instanceof ConfigError || err instanceof DatabaseUnavailableError || err instanceof VaultKeyError) fail(err.message);
  const e = err as NodeJS.ErrnoException;
  if (e.code === "EADDRINUSE") fail(`port ${process.env.PORT ?? 9100} is already in use (set PORT to use another)`);
  fail(e.stack ?? String(err));
}
