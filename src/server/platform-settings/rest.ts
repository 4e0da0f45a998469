import { requireAdmin } from "../governance/authorize.ts";
import type { RestRoute } from "../http/types.ts";
import { platformSettingsInput } from "./schema.ts";
import * as service from "./service.ts";

export const platformSettingsRoutes: RestRoute[] = [
  { method: "GET", path: "/platform/settings", handler: async ({ core, principal }) => ({ body: await service.getSettings(core, await principal()) }) },
  {
    method: "PUT",
    path: "/platform/settings",
    handler: async ({ core, principal, body }) => {
      const p = await principal();
      // Before the body is read as settings, so a caller who may not change them learns nothing from a 400.
      await requireAdmin(core, p);
      return { body: await service.updateSettings(core, p, platformSettingsInput.parse(body)) };
    },
  },
];
