import type { RestRoute } from "../http/types.ts";
import { invokeRpc } from "./rpc-service.ts";
import { detailFlag } from "./schema.ts";
import * as service from "./service.ts";

/** Workers and RPC (spec §2.5); thin over service.ts and rpc-service.ts. */
export const workerRoutes: RestRoute[] = [
  {
    method: "GET",
    path: "/workers",
    handler: async ({ core, principal, query }) => ({ body: await service.listWorkers(core, await principal(), detailFlag.parse(query.get("detail") ?? undefined)) }),
  },
  { method: "POST", path: "/apps/:appId/worker/start", handler: async ({ core, principal, params }) => ({ body: await service.startWorker(core, await principal(), params.appId ?? "") }) },
  { method: "POST", path: "/apps/:appId/worker/stop", handler: async ({ core, principal, params }) => ({ body: await service.stopWorker(core, await principal(), params.appId ?? "") }) },
  { method: "POST", path: "/apps/:appId/worker/restart", handler: async ({ core, principal, params }) => ({ body: await service.restartWorker(core, await principal(), params.appId ?? "") }) },
  { method: "GET", path: "/apps/:appId/worker/status", handler: async ({ core, principal, params }) => ({ body: service.workerStatus(core, await principal(), params.appId ?? "") }) },
  {
    method: "POST",
    path: "/apps/:appId/rpc",
    handler: async ({ core, principal, params, body, raw }) => ({
      body: await invokeRpc(core, params.appId ?? "", { header: raw.headers.authorization, principal }, body),
    }),
  },
];
