import { z } from "zod";
import { defineRoute } from "../http/define-route.ts";
import type { RestRoute } from "../http/types.ts";
import { invokeRpc } from "./rpc-service.ts";
import { appIdSchema, detailFlag, parseRpcBody, rpcBody, workersList } from "./schema.ts";
import * as service from "./service.ts";

/** An app id as the worker services read it: they answer an unknown or malformed one themselves. */
const appParams = z.object({ appId: z.string() });
const tags = ["workers"];

/** The call, checked by parseRpcBody (a body without a method is told the shape of a call) and documented as rpcBody. */
const rpcCall = z.preprocess((body) => {
  parseRpcBody(body);
  return body;
}, rpcBody);

/** Workers and RPC (spec §2.5); thin over service.ts and rpc-service.ts. */
export const workerRoutes: RestRoute[] = [
  defineRoute({
    method: "GET",
    path: "/workers",
    schemas: { query: z.object({ detail: detailFlag }) },
    docs: { summary: "Every app's worker state (with `detail=true`: pids, restarts, identities)", tags, responses: { 200: workersList } },
    handler: async ({ core, principal, input }) => ({ body: await service.listWorkers(core, await principal(), input.query.detail) }),
  }),
  defineRoute({
    method: "POST",
    path: "/apps/:appId/worker/start",
    schemas: { params: appParams },
    docs: { summary: "Start the app's worker", tags, requestBody: "none" },
    handler: async ({ core, principal, input }) => ({ body: await service.startWorker(core, await principal(), input.params.appId) }),
  }),
  defineRoute({
    method: "POST",
    path: "/apps/:appId/worker/stop",
    schemas: { params: appParams },
    docs: { summary: "Stop the app's worker (it stays stopped until started)", tags, requestBody: "none" },
    handler: async ({ core, principal, input }) => ({ body: await service.stopWorker(core, await principal(), input.params.appId) }),
  }),
  defineRoute({
    method: "POST",
    path: "/apps/:appId/worker/restart",
    schemas: { params: appParams },
    docs: { summary: "Restart the app's worker", tags, requestBody: "none" },
    handler: async ({ core, principal, input }) => ({ body: await service.restartWorker(core, await principal(), input.params.appId) }),
  }),
  defineRoute({
    method: "GET",
    path: "/apps/:appId/worker/status",
    schemas: { params: appParams },
    docs: { summary: "The app's worker state", tags },
    handler: async ({ core, principal, input }) => ({ body: service.workerStatus(core, await principal(), input.params.appId) }),
  }),
  defineRoute({
    method: "POST",
    path: "/apps/:appId/rpc",
    schemas: { params: z.object({ appId: appIdSchema }), body: rpcCall },
    docs: {
      summary: "Call a method of the app's backend",
      description:
        "The caller is a user's access token or API key (needs `app:{appId}:invoke`), a public share's token, or nobody for the methods the manifest makes public. Answers what the method returns; 502 when the backend fails the call, 504 when it does not answer in time.",
      tags,
      auth: "any",
      responses: {
        502: { description: "The app's backend failed the call (or is not running)." },
        504: { description: "The app's backend did not answer in time." },
      },
    },
    handler: async ({ core, principal, params, body, raw }) => ({
      body: await invokeRpc(core, params.appId ?? "", { header: raw.headers.authorization, principal }, body),
    }),
  }),
];
