import path from "node:path";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { actAs } from "./actor.ts";
import { readArchiveStatus, type ArchiveStatus } from "./archive-status.ts";
import { verifyAuditChain, type ChainReport } from "./audit.ts";
import { queryAudit, type AuditRow } from "./audit-query.ts";
import { requireAdmin, requirePermission } from "./authorize.ts";
import { archiveAuditLog, type ArchiveResult } from "./retention.ts";

export const AUDIT_READ = "admin:audit.read";

export async function listAudit(core: Core, principal: Principal, params: URLSearchParams): Promise<AuditRow[]> {
  await requirePermission(core, principal, AUDIT_READ);
  return queryAudit(core.db.pool, params);
}

export async function verifyAudit(core: Core, principal: Principal): Promise<ChainReport> {
  await requirePermission(core, principal, AUDIT_READ);
  return verifyAuditChain(core.db.pool);
}

export const archiveDir = (core: Core) => path.join(core.config.dataDir, "audit-archive");

/** Retention by hand (admin): archives and removes rows older than `before`, keeping the chain verifiable. */
export async function archiveAudit(core: Core, principal: Principal | null, before: Date): Promise<ArchiveResult> {
  if (principal) await requireAdmin(core, principal);
  const result = await archiveAuditLog(core.db.pool, {
    before,
    archiveDir: archiveDir(core),
    requestedBy: principal?.userId ?? null,
    actor: (tx) => actAs(core, tx, principal?.userId ?? null, principal ? "control_plane" : "retention_schedule"),
    // A scheduled run that removes nothing changed nothing; one an administrator asked for is recorded anyway.
    recordEmpty: principal !== null,
  });
  if (result.removed) core.log.info({ removed: result.removed, throughId: result.throughId, file: result.archiveFile }, "audit rows archived");
  return result;
}

/** Retention's state for the Studio (admin): the schedule, the last run, the archive files. */
export async function archiveStatus(core: Core, principal: Principal): Promise<ArchiveStatus> {
  await requireAdmin(core, principal);
  return readArchiveStatus(core.db.pool, archiveDir(core), core.config.auditRetentionDays);
}

/** With ROOTCX_AUDIT_RETENTION_DAYS set, archives older rows once an hour (every Core may run it: the chain lock serialises them). */
export function scheduleAuditRetention(core: Core): () => void {
  const days = core.config.auditRetentionDays;
  if (!days) return () => undefined;
  const run = () =>
    void archiveAudit(core, null, new Date(Date.now() - days * 86_400_000)).catch((err: unknown) => core.log.error({ err }, "audit retention failed"));
  const timer = setInterval(run, 3_600_000);
  timer.unref();
  run();
  return () => clearInterval(timer);
}
