import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { ADMIN_KEY, holdsPermission } from "../governance/permissions.ts";
import { cpuMetrics, diskMetrics, memoryMetrics } from "./host-metrics.ts";
import type { FullHealth, Health, Overview, Status, Version } from "./schema.ts";
import { pingDatabase } from "./sql.ts";

export function health(): Health {
  return { status: "ok" };
}

/** Liveness plus the container's resources and whether PostgreSQL answers; answers even when it does not. */
export async function fullHealth(core: Core): Promise<FullHealth> {
  const [memory, cpu, disk, reachable] = await Promise.all([
    memoryMetrics(),
    cpuMetrics(),
    diskMetrics(core.config.dataDir),
    pingDatabase(core.db.pool),
  ]);
  return { status: "ok", memory, cpu, disk, database: { reachable } };
}

/**
 * The original's status. Where the database listens and where its files are is for administrators only (a way
 * in, and a path on the host); anyone else signed in sees the same shape with those left null.
 */
export async function status(core: Core, principal: Principal): Promise<Status> {
  const [reachable, admin] = await Promise.all([
    pingDatabase(core.db.pool),
    core.auth.principals.permissions(principal.userId).then((held) => holdsPermission(held, ADMIN_KEY)),
  ]);
  return {
    runtime: { version: core.version, state: core.state },
    postgres: {
      state: reachable ? "online" : "offline",
      port: admin ? core.db.info.port : null,
      data_dir: admin ? (core.db.info.dataDir ?? null) : null,
    },
    // The original's built-in AI Forge is not part of this Core; it is reported as such.
    forge: { state: "offline", port: null },
  };
}

export function version(core: Core): Version {
  return { version: core.version, node: process.version, postgres: core.db.info.serverVersion };
}

export async function overview(core: Core): Promise<Overview> {
  const reachable = await pingDatabase(core.db.pool);
  return {
    version: core.version,
    state: core.state,
    startedAt: core.startedAt.toISOString(),
    uptimeSeconds: Math.floor((Date.now() - core.startedAt.getTime()) / 1000),
    database: { reachable, embedded: core.db.info.embedded, serverVersion: core.db.info.serverVersion },
  };
}
