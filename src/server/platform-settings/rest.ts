import { requireAdmin } from "../governance/authorize.ts";
import { defineRoute } from "../http/define-route.ts";
import type { RestRoute } from "../http/types.ts";
import { platformSettings, platformSettingsInput } from "./schema.ts";
import * as service from "./service.ts";

const tags = ["platform"];

export const platformSettingsRoutes: RestRoute[] = [
  defineRoute({
    method: "GET",
    path: "/platform/settings",
    docs: { summary: "The platform settings (registration open or closed)", tags, responses: { 200: platformSettings } },
    handler: async ({ core, principal }) => ({ body: await service.getSettings(core, await principal()) }),
  }),
  defineRoute({
    method: "PUT",
    path: "/platform/settings",
    schemas: { body: platformSettingsInput },
    docs: { summary: "Change the platform settings (admin)", tags, responses: { 200: platformSettings } },
    // Before the body is read as settings, so a caller who may not change them learns nothing from a 400.
    guard: async ({ core, principal }) => requireAdmin(core, await principal()),
    handler: async ({ core, principal, input }) => ({ body: await service.updateSettings(core, await principal(), input.body) }),
  }),
];
