import { appRoutes } from "../apps/rest.ts";
import { authRoutes } from "../auth/rest.ts";
import { oidcRoutes } from "../auth/oidc/rest.ts";
import { magicLinkRoutes } from "../auth/magic-link/rest.ts";
import { dataRoutes } from "../data/rest.ts";
import { federatedRoutes } from "../data/federated-rest.ts";
import { databaseExplorerRoutes } from "../database-explorer/rest.ts";
import { auditRoutes } from "../governance/audit-rest.ts";
import { platformSettingsRoutes } from "../platform-settings/rest.ts";
import { publicShareRoutes } from "../public-shares/rest.ts";
import { governanceRoutes } from "../governance/rest.ts";
import { systemRoutes } from "../system/rest.ts";
import { vaultRoutes } from "../vault/rest.ts";
import { deployRoutes } from "../workers/deploy-rest.ts";
import { logsRoutes } from "../workers/logs-rest.ts";
import { workerRoutes } from "../workers/rest.ts";
import { openApiRoute } from "../openapi/rest.ts";
import { bucketRoutes } from "../storage/buckets/rest.ts";
import { serviceAccountRoutes } from "../identities/rest.ts";
import { tokenRoutes } from "../identities/token-rest.ts";
import { storageRoutes } from "../storage/rest.ts";
import { webhookRoutes } from "../webhooks/rest.ts";
import { entityHookRoutes } from "../entity-hooks/rest.ts";
import { realtimeRoutes } from "../realtime/rest.ts";
import { jobRoutes } from "../jobs/rest.ts";
import type { RestRoute } from "./types.ts";

/** Every subsystem's REST routes, below /api/v1. */
export const restRoutes: RestRoute[] = [...systemRoutes, ...authRoutes, ...oidcRoutes, ...magicLinkRoutes, ...governanceRoutes, ...auditRoutes, ...vaultRoutes, ...platformSettingsRoutes, ...databaseExplorerRoutes, ...appRoutes, ...logsRoutes, ...workerRoutes, ...deployRoutes, ...publicShareRoutes, ...serviceAccountRoutes, ...tokenRoutes, ...dataRoutes, ...realtimeRoutes, ...federatedRoutes, ...bucketRoutes, ...storageRoutes, ...webhookRoutes, ...entityHookRoutes, ...jobRoutes, openApiRoute(() => restRoutes)];
