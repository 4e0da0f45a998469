import { z } from "zod";
import { defineRoute } from "../http/define-route.ts";
import { optionalBody } from "../http/optional-body.ts";
import type { RestRoute } from "../http/types.ts";
import { messageResult } from "../openapi/common.ts";
import { appId, appKeyName, appSecretInput, platformKeyName, platformSecretInput, rotateInput } from "./schema.ts";
import * as service from "./service.ts";

const tags = ["secrets"];
const appParams = z.object({ appId });
const names = z.array(z.string());
const restarted = z.object({ message: z.string(), workers_restarted: z.number().int() });

export const vaultRoutes: RestRoute[] = [
  defineRoute({
    method: "GET",
    path: "/apps/:appId/secrets",
    schemas: { params: appParams },
    docs: { summary: "The names of an app's secrets (never their values)", tags, responses: { 200: names } },
    handler: async ({ core, principal, input }) => ({ body: await service.listAppSecrets(core, await principal(), input.params.appId) }),
  }),
  defineRoute({
    method: "POST",
    path: "/apps/:appId/secrets",
    schemas: { params: appParams, body: appSecretInput },
    docs: { summary: "Set an app secret (encrypted at rest; reaches the app's worker over IPC)", tags, responses: { 200: messageResult } },
    handler: async ({ core, principal, input }) => ({ body: await service.setAppSecret(core, await principal(), input.params.appId, input.body.key, input.body.value) }),
  }),
  defineRoute({
    method: "DELETE",
    path: "/apps/:appId/secrets/:key",
    schemas: { params: z.object({ appId, key: appKeyName }) },
    docs: { summary: "Delete an app secret", tags, responses: { 200: messageResult } },
    handler: async ({ core, principal, input }) => ({ body: await service.deleteAppSecret(core, await principal(), input.params.appId, input.params.key) }),
  }),
  defineRoute({
    method: "GET",
    path: "/platform/secrets",
    docs: { summary: "The names of the platform secrets (admin)", tags, responses: { 200: names } },
    handler: async ({ core, principal }) => ({ body: await service.listPlatformSecrets(core, await principal()) }),
  }),
  defineRoute({
    method: "POST",
    path: "/platform/secrets",
    schemas: { body: platformSecretInput },
    docs: { summary: "Set a platform secret (admin); running workers restart to receive it", tags, responses: { 200: restarted } },
    handler: async ({ core, principal, input }) => ({ body: await service.setPlatformSecret(core, await principal(), input.body.key, input.body.value) }),
  }),
  defineRoute({
    method: "GET",
    path: "/platform/secrets/env",
    docs: { summary: "The platform secrets as an environment map (admin)", tags, responses: { 200: z.record(z.string(), z.string()) } },
    handler: async ({ core, principal }) => ({ body: await service.platformEnv(core, await principal()) }),
  }),
  defineRoute({
    method: "DELETE",
    path: "/platform/secrets/:key",
    schemas: { params: z.object({ key: platformKeyName }) },
    docs: { summary: "Delete a platform secret (admin); running workers restart without it", tags, responses: { 200: restarted } },
    handler: async ({ core, principal, input }) => ({ body: await service.deletePlatformSecret(core, await principal(), input.params.key) }),
  }),
  defineRoute({
    method: "POST",
    path: "/platform/vault/rotate",
    schemas: { body: optionalBody(rotateInput) },
    docs: { summary: "Re-encrypt every secret under a new master key (admin); without newKey, one is generated", tags },
    handler: async ({ core, principal, input }) => ({ body: await service.rotateMasterKey(core, await principal(), input.body.newKey) }),
  }),
];
