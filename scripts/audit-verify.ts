// `npm run audit:verify`: walks the audit chain of the configured database (DATABASE_URL, or the embedded one in
// ROOTCX_DATA_DIR while the Core is stopped) and exits 1 at the first broken link.
import { loadConfig } from "../src/server/config/load.ts";
import { openDatabase } from "../src/server/db/database.ts";
import { verifyAuditChain } from "../src/server/governance/audit.ts";
import { createLogger } from "../src/server/log.ts";

const config = loadConfig(process.env);
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }, createLogger("warn"));
try {
  const report = await verifyAuditChain(db.pool);
  console.log(JSON.stringify(report));
  process.exitCode = report.ok ? 0 : 1;
} finally {
  await db.close();
}
