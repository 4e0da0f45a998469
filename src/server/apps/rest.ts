import { z } from "zod";
import type { RestRoute } from "../http/types.ts";
import * as service from "./service.ts";

/** `?allowDataLoss=true` accepts the losses verify reports; any other spelling is refused rather than read as no. */
const allowDataLoss = z.enum(["true", "false"], { error: 'allowDataLoss must be "true" or "false"' }).optional().transform((v) => v === "true");

/** Manifests are bounded by the default 1 MiB body limit, like every other JSON body. */
export const appRoutes: RestRoute[] = [
  { method: "GET", path: "/apps", handler: async ({ core, principal, query }) => ({ body: await service.listApps(core, await principal(), query.get("type") ?? undefined) }) },
  {
    method: "POST",
    path: "/apps",
    handler: async ({ core, principal, body, query }) => {
      const flags = { allowDataLoss: allowDataLoss.parse(query.get("allowDataLoss") ?? undefined) };
      return { body: await service.installApp(core, await principal(), body, flags) };
    },
  },
  { method: "POST", path: "/apps/schema/verify", handler: async ({ core, principal, body }) => ({ body: await service.verifySchema(core, await principal(), body) }) },
  { method: "GET", path: "/apps/:appId", handler: async ({ core, principal, params }) => ({ body: await service.getApp(core, await principal(), params.appId ?? "") }) },
  { method: "DELETE", path: "/apps/:appId", handler: async ({ core, principal, params }) => ({ body: await service.uninstallApp(core, await principal(), params.appId ?? "") }) },
  {
    method: "GET",
    path: "/apps/:appId/schema/history",
    handler: async ({ core, principal, params }) => ({ body: await service.schemaHistory(core, await principal(), params.appId ?? "") }),
  },
];
