import { defineRoute } from "../http/define-route.ts";
import type { RestRoute } from "../http/types.ts";
import { z } from "zod";
import { ONE_TIME_SECRET_HEADERS } from "../http/one-time-secret.ts";
import { appParams, createdShareDto, createShareBody, messageDto, shareDto, shareInfoDto, shareParams } from "./schema.ts";
import * as service from "./service.ts";

/** Public shares (spec §2.19); thin over service.ts. */
export const publicShareRoutes: RestRoute[] = [
  defineRoute({
    method: "POST",
    path: "/apps/:appId/public-shares",
    schemas: { params: appParams, body: createShareBody },
    docs: {
      summary: "Make a public link for one context of an app (the token is shown once); needs app:{id}:public.share",
      tags: ["public-shares"],
      responses: { 201: createdShareDto },
    },
    handler: async ({ core, principal, input }) => ({
      status: 201,
      body: await service.createShare(core, await principal(), input.params.appId, input.body),
      headers: ONE_TIME_SECRET_HEADERS,
    }),
  }),
  defineRoute({
    method: "GET",
    path: "/apps/:appId/public-shares",
    schemas: { params: appParams },
    docs: { summary: "The app's working public links: the caller's own, or everyone's for an app administrator", tags: ["public-shares"], responses: { 200: z.array(shareDto) } },
    handler: async ({ core, principal, input }) => ({ body: await service.listShares(core, await principal(), input.params.appId) }),
  }),
  defineRoute({
    method: "DELETE",
    path: "/apps/:appId/public-shares/:shareId",
    schemas: { params: shareParams },
    docs: { summary: "Revoke a public link (its creator or an app administrator); effective at once on every Core", tags: ["public-shares"], responses: { 200: messageDto } },
    handler: async ({ core, principal, input }) => ({ body: await service.revokeShare(core, await principal(), input.params.appId, input.params.shareId) }),
  }),
  defineRoute({
    method: "GET",
    path: "/public/share/info",
    docs: { summary: "Which app and context a share token opens (the token as bearer)", tags: ["public-shares"], auth: "share", responses: { 200: shareInfoDto } },
    handler: async ({ core, raw }) => ({ body: await service.shareInfo(core, raw.headers.authorization) }),
  }),
];
