import { appsRouter } from "../apps/router.ts";
import { dataRouter } from "../data/router.ts";
import { authRouter, usersRouter } from "../auth/router.ts";
import { oidcRouter } from "../auth/oidc/router.ts";
import { magicLinkRouter } from "../auth/magic-link/router.ts";
import { databaseRouter } from "../database-explorer/router.ts";
import { auditRouter } from "../governance/audit-router.ts";
import { permissionsRouter, rolesRouter } from "../governance/router.ts";
import { platformSettingsRouter } from "../platform-settings/router.ts";
import { publicSharesRouter } from "../public-shares/router.ts";
import { systemRouter } from "../system/router.ts";
import { secretsRouter } from "../vault/router.ts";
import { serviceAccountsRouter } from "../identities/router.ts";
import { workersRouter } from "../workers/router.ts";
import { storageRouter } from "../storage/buckets/router.ts";
import { webhooksRouter } from "../webhooks/router.ts";
import { entityHooksRouter } from "../entity-hooks/router.ts";
import { realtimeRouter } from "../realtime/router.ts";
import { jobsRouter } from "../jobs/router.ts";
import { cronsRouter } from "../crons/router.ts";
import { router } from "./init.ts";

/** Every subsystem's tRPC router, mounted under its name. */
export const appRouter = router({
  system: systemRouter,
  auth: authRouter,
  oidc: oidcRouter,
  users: usersRouter,
  magicLink: magicLinkRouter,
  roles: rolesRouter,
  permissions: permissionsRouter,
  audit: auditRouter,
  secrets: secretsRouter,
  apps: appsRouter,
  data: dataRouter,
  database: databaseRouter,
  settings: platformSettingsRouter,
  workers: workersRouter,
  storage: storageRouter,
  serviceAccounts: serviceAccountsRouter,
  publicShares: publicSharesRouter,
  realtime: realtimeRouter,
  webhooks: webhooksRouter,
  entityHooks: entityHooksRouter,
  jobs: jobsRouter,
  crons: cronsRouter,
});

export type AppRouter = typeof appRouter;
