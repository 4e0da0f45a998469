import { z } from "zod";
import { defineRoute } from "../http/define-route.ts";
import { ONE_TIME_SECRET_HEADERS } from "../http/one-time-secret.ts";
import type { RestRoute } from "../http/types.ts";
import { INBOUND_BODY_LIMIT, receiveWebhook } from "./inbound.ts";
import { appParams, callDto, callsQuery, inboundParams, rotatedDto, updateWebhookBody, webhookDto, webhookParams } from "./schema.ts";
import * as service from "./service.ts";

const tags = ["webhooks"];

/** Inbound webhooks (spec §2.10 and §6.3); thin over service.ts and inbound.ts. */
export const webhookRoutes: RestRoute[] = [
  defineRoute({
    method: "POST",
    path: "/hooks/:token",
    body: "raw",
    bodyLimit: INBOUND_BODY_LIMIT,
    schemas: { params: inboundParams },
    docs: {
      summary: "An inbound webhook call: reaches the app's worker RPC named by the webhook, as its creator",
      description:
        "Public: the 64-character token in the path is the credential. Any content type; the worker receives `{name, headers, body, rawBody}` " +
        "(`body` parsed as JSON when it is JSON, else its text; `rawBody` the exact bytes as base64) and the RPC's result is the answer. " +
        "Signed calls carry `x-webhook-timestamp` (unix seconds, within 300 s) and `x-webhook-signature: sha256=<hex of HMAC-SHA256(secret, timestamp + \".\" + raw body)>`; " +
        "a webhook that requires a signature refuses unsigned calls (401 with the reason, and no RPC).",
      tags,
      auth: "none",
      requestBody: { mediaType: "*/*", description: "Any body, up to 384 KiB, kept byte for byte." },
      responses: {
        200: { description: "What the worker's RPC returned." },
        401: { description: "The signature is missing (when required), malformed, stale or wrong." },
        404: { description: "No webhook has this token." },
        413: { description: "The body is larger than 384 KiB, or encodes to more than the worker takes in one message." },
        429: { description: "The webhook's calls per minute are spent (Retry-After)." },
        502: { description: "The handler threw (`worker error: <its message>`, the app's answer), or the backend does not serve the webhook's method or failed under the call (a plain sentence: the backend's own details stay in the call record)." },
        503: { description: "The app has no deployed backend, or it is stopped." },
        504: { description: "The app's backend did not answer in time." },
      },
    },
    handler: async ({ core, raw, input }) => ({ body: await receiveWebhook(core, input.params.token, raw) }),
  }),
  defineRoute({
    method: "GET",
    path: "/apps/:appId/webhooks",
    schemas: { params: appParams },
    docs: { summary: "The app's webhooks with their URL prefix (never the full token) and last call; needs app:{id}:webhook.read", tags, responses: { 200: z.array(webhookDto) } },
    handler: async ({ core, principal, input }) => ({ body: await service.listWebhooks(core, await principal(), input.params.appId) }),
  }),
  defineRoute({
    method: "POST",
    path: "/apps/:appId/webhooks/:webhookId/rotate",
    schemas: { params: webhookParams },
    docs: {
      summary: "A new URL (token) and signing secret for the webhook, shown once; the old URL stops working; needs app:{id}:webhook.manage",
      tags,
      requestBody: "none",
      responses: { 200: rotatedDto },
    },
    handler: async ({ core, principal, input }) => ({
      body: await service.rotateWebhook(core, await principal(), input.params.appId, input.params.webhookId),
      headers: ONE_TIME_SECRET_HEADERS,
    }),
  }),
  defineRoute({
    method: "PATCH",
    path: "/apps/:appId/webhooks/:webhookId",
    schemas: { params: webhookParams, body: updateWebhookBody },
    docs: { summary: "Require a signature, or set the calls allowed per minute; needs app:{id}:webhook.manage", tags, responses: { 200: webhookDto } },
    handler: async ({ core, principal, input }) => ({ body: await service.updateWebhook(core, await principal(), input.params.appId, input.params.webhookId, input.body) }),
  }),
  defineRoute({
    method: "GET",
    path: "/apps/:appId/webhooks/:webhookId/calls",
    schemas: { params: webhookParams, query: callsQuery },
    docs: { summary: "The webhook's recent calls (time, status, duration, error), newest first; needs app:{id}:webhook.read", tags, responses: { 200: z.array(callDto) } },
    handler: async ({ core, principal, input }) => ({ body: await service.listCalls(core, await principal(), input.params.appId, input.params.webhookId, input.query.limit) }),
  }),
];
