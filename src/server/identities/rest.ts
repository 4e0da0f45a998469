import { z } from "zod";
import { defineRoute } from "../http/define-route.ts";
import { ONE_TIME_SECRET_HEADERS } from "../http/one-time-secret.ts";
import type { RestRoute } from "../http/types.ts";
import { addActAs, removeActAs } from "./act-as.ts";
import { createCredential, deleteCredential } from "./credentials.ts";
import * as schema from "./schema.ts";
import * as service from "./service-accounts.ts";

const tags = ["service-accounts"];

/** Spec §2.19: every route needs `admin:service_accounts.manage` (the services check it). */
export const serviceAccountRoutes: RestRoute[] = [
  defineRoute({
    method: "GET",
    path: "/service-accounts",
    docs: { summary: "List service accounts (owner, roles, key count, last use)", tags, responses: { 200: z.array(schema.serviceAccountDto) } },
    handler: async ({ core, principal }) => ({ body: await service.listAccounts(core, await principal()) }),
  }),
  defineRoute({
    method: "POST",
    path: "/service-accounts",
    schemas: { body: schema.createInput },
    docs: { summary: "Create a service account owned by the caller; it holds no permission until a role is assigned", tags, responses: { 201: schema.createdAccountDto } },
    handler: async ({ core, principal, input }) => ({ status: 201, body: await service.createAccount(core, await principal(), input.body) }),
  }),
  defineRoute({
    method: "GET",
    path: "/service-accounts/:id",
    schemas: { params: schema.accountParams },
    docs: { summary: "One service account with its keys (never the keys themselves) and act-as delegations", tags, responses: { 200: schema.serviceAccountDetailsDto } },
    handler: async ({ core, principal, input }) => ({ body: await service.getAccount(core, await principal(), input.params.id) }),
  }),
  defineRoute({
    method: "DELETE",
    path: "/service-accounts/:id",
    schemas: { params: schema.accountParams },
    docs: { summary: "Delete a service account, its keys and its sessions", tags, responses: { 200: schema.messageDto } },
    handler: async ({ core, principal, input }) => ({ body: await service.deleteAccount(core, await principal(), input.params.id) }),
  }),
  defineRoute({
    method: "POST",
    path: "/service-accounts/:id/disable",
    schemas: { params: schema.accountParams },
    docs: { summary: "Disable a service account: its keys and tokens are refused at once", tags, requestBody: "none", responses: { 200: schema.messageDto } },
    handler: async ({ core, principal, input }) => ({ body: await service.setAccountDisabled(core, await principal(), input.params.id, true) }),
  }),
  defineRoute({
    method: "POST",
    path: "/service-accounts/:id/enable",
    schemas: { params: schema.accountParams },
    docs: { summary: "Enable a service account again", tags, requestBody: "none", responses: { 200: schema.messageDto } },
    handler: async ({ core, principal, input }) => ({ body: await service.setAccountDisabled(core, await principal(), input.params.id, false) }),
  }),
  defineRoute({
    method: "POST",
    path: "/service-accounts/:id/credentials",
    schemas: { params: schema.accountParams, body: schema.createCredentialInput },
    docs: { summary: "Create an API key (rcs_…), shown once; expiresInDays defaults to 90, clamped to 1..365", tags, responses: { 201: schema.createdCredentialDto } },
    handler: async ({ core, principal, input }) => ({
      status: 201,
      body: await createCredential(core, await principal(), input.params.id, input.body),
      headers: ONE_TIME_SECRET_HEADERS,
    }),
  }),
  defineRoute({
    method: "DELETE",
    path: "/service-accounts/:id/credentials/:credId",
    schemas: { params: schema.credentialParams },
    docs: { summary: "Delete an API key: it and the tokens exchanged for it are refused at once", tags, responses: { 200: schema.messageDto } },
    handler: async ({ core, principal, input }) => ({ body: await deleteCredential(core, await principal(), input.params.id, input.params.credId) }),
  }),
  defineRoute({
    method: "POST",
    path: "/service-accounts/:id/transfer-ownership",
    schemas: { params: schema.accountParams, body: schema.transferInput },
    docs: { summary: "Make another person the account's owner of record", tags, responses: { 200: schema.messageDto } },
    handler: async ({ core, principal, input }) => ({ body: await service.transferOwnership(core, await principal(), input.params.id, input.body.newOwner) }),
  }),
  defineRoute({
    method: "POST",
    path: "/service-accounts/:id/act-as",
    schemas: { params: schema.accountParams, body: schema.actAsInput },
    docs: {
      summary: "Let the service account run work as a person (standing act-as delegation); 201 when made, 200 when it existed",
      tags,
      responses: { 201: schema.actAsDto, 200: schema.actAsDto },
    },
    handler: async ({ core, principal, input }) => {
      const { created, delegation } = await addActAs(core, await principal(), input.params.id, input.body.userId);
      return { status: created ? 201 : 200, body: delegation };
    },
  }),
  defineRoute({
    method: "DELETE",
    path: "/service-accounts/:id/act-as",
    schemas: { params: schema.accountParams, body: schema.actAsInput },
    docs: { summary: "Withdraw an act-as delegation (the person themself, or a holder of admin:service_accounts.manage)", tags, responses: { 200: schema.messageDto } },
    handler: async ({ core, principal, input }) => ({ body: await removeActAs(core, await principal(), input.params.id, input.body.userId) }),
  }),
];
