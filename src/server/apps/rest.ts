import { z } from "zod";
import { defineRoute } from "../http/define-route.ts";
import type { RestRoute } from "../http/types.ts";
import { messageResult } from "../openapi/common.ts";
import { manifestSchema, parseManifest } from "./manifest.ts";
import * as service from "./service.ts";

/** `?allowDataLoss=true` accepts the losses verify reports; any other spelling is refused rather than read as no. */
const allowDataLoss = z.enum(["true", "false"], { error: 'allowDataLoss must be "true" or "false"' }).optional().transform((v) => v === "true");

/**
 * The manifest, checked by parseManifest (its path-precise messages, and the rules that span fields and entities)
 * and documented as manifestSchema. The service reads the body again itself, after the same check.
 */
const manifestBody = z.preprocess((body) => {
  parseManifest(body);
  return body;
}, manifestSchema);

/** An app id as the services read it: they answer an unknown or malformed one themselves. */
const appParams = z.object({ appId: z.string() });
const tags = ["apps"];

/** Manifests are bounded by the default 1 MiB body limit, like every other JSON body. */
export const appRoutes: RestRoute[] = [
  defineRoute({
    method: "GET",
    path: "/apps",
    schemas: { query: z.object({ type: z.string().optional().meta({ description: "app, integration or agent" }) }) },
    docs: { summary: "The installed apps", tags },
    handler: async ({ core, principal, input }) => ({ body: await service.listApps(core, await principal(), input.query.type) }),
  }),
  defineRoute({
    method: "POST",
    path: "/apps",
    schemas: { query: z.object({ allowDataLoss }), body: manifestBody },
    docs: {
      summary: "Install or update an app from its manifest: tables, permission keys, the CRUD API",
      description: "A change that would lose or alter existing values is refused (409) unless `allowDataLoss=true`; POST /apps/schema/verify reports such changes first.",
      tags,
      responses: { 409: { description: "The change would lose or alter existing values; resend with `allowDataLoss=true` to accept that." } },
    },
    handler: async ({ core, principal, body, input }) => ({ body: await service.installApp(core, await principal(), body, { allowDataLoss: input.query.allowDataLoss }) }),
  }),
  defineRoute({
    method: "POST",
    path: "/apps/schema/verify",
    schemas: { body: manifestBody },
    docs: { summary: "What installing a manifest would change, with the rows each destructive change affects", tags },
    handler: async ({ core, principal, body }) => ({ body: await service.verifySchema(core, await principal(), body) }),
  }),
  defineRoute({
    method: "GET",
    path: "/apps/:appId",
    schemas: { params: appParams },
    docs: { summary: "An installed app and its manifest", tags },
    handler: async ({ core, principal, input }) => ({ body: await service.getApp(core, await principal(), input.params.appId) }),
  }),
  defineRoute({
    method: "DELETE",
    path: "/apps/:appId",
    schemas: { params: appParams },
    docs: { summary: "Uninstall an app: its worker stops, its tables and keys go", tags, responses: { 200: messageResult } },
    handler: async ({ core, principal, input }) => ({ body: await service.uninstallApp(core, await principal(), input.params.appId) }),
  }),
  defineRoute({
    method: "GET",
    path: "/apps/:appId/schema/history",
    schemas: { params: appParams },
    docs: { summary: "The app's schema changes, newest first", tags },
    handler: async ({ core, principal, input }) => ({ body: await service.schemaHistory(core, await principal(), input.params.appId) }),
  }),
];
