import type { RestRoute } from "../http/types.ts";
import { appId, appKeyName, appSecretInput, platformKeyName, platformSecretInput, rotateInput } from "./schema.ts";
import * as service from "./service.ts";

export const vaultRoutes: RestRoute[] = [
  { method: "GET", path: "/apps/:appId/secrets", handler: async ({ core, principal, params }) => ({ body: await service.listAppSecrets(core, await principal(), appId.parse(params.appId)) }) },
  {
    method: "POST",
    path: "/apps/:appId/secrets",
    handler: async ({ core, principal, params, body }) => {
      const { key, value } = appSecretInput.parse(body);
      return { body: await service.setAppSecret(core, await principal(), appId.parse(params.appId), key, value) };
    },
  },
  {
    method: "DELETE",
    path: "/apps/:appId/secrets/:key",
    handler: async ({ core, principal, params }) => ({ body: await service.deleteAppSecret(core, await principal(), appId.parse(params.appId), appKeyName.parse(params.key)) }),
  },
  { method: "GET", path: "/platform/secrets", handler: async ({ core, principal }) => ({ body: await service.listPlatformSecrets(core, await principal()) }) },
  {
    method: "POST",
    path: "/platform/secrets",
    handler: async ({ core, principal, body }) => {
      const { key, value } = platformSecretInput.parse(body);
      return { body: await service.setPlatformSecret(core, await principal(), key, value) };
    },
  },
  { method: "GET", path: "/platform/secrets/env", handler: async ({ core, principal }) => ({ body: await service.platformEnv(core, await principal()) }) },
  {
    method: "DELETE",
    path: "/platform/secrets/:key",
    handler: async ({ core, principal, params }) => ({ body: await service.deletePlatformSecret(core, await principal(), platformKeyName.parse(params.key)) }),
  },
  {
    method: "POST",
    path: "/platform/vault/rotate",
    handler: async ({ core, principal, body }) => ({ body: await service.rotateMasterKey(core, await principal(), rotateInput.parse(body ?? {}).newKey) }),
  },
];
