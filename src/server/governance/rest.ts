import { z } from "zod";
import { defineRoute } from "../http/define-route.ts";
import type { RestRoute } from "../http/types.ts";
import { messageResult } from "../openapi/common.ts";
import { assignmentDto, assignmentInput, availableDto, createRoleInput, explainQuery, explanationDto, resolvedDto, roleDto, roleName, updateRoleInput } from "./schema.ts";
import * as service from "./service.ts";

const userIdParam = z.guid({ message: "invalid userId" });
const roleParams = z.object({ name: roleName });
const tags = ["roles"];

export const governanceRoutes: RestRoute[] = [
  defineRoute({
    method: "GET",
    path: "/roles",
    docs: { summary: "Every role with its description, inherited roles and permission keys", tags, responses: { 200: z.array(roleDto) } },
    handler: async ({ core, principal }) => {
      await principal();
      return { body: await service.listRoles(core) };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/roles",
    schemas: { body: createRoleInput },
    docs: { summary: "Create a role (admin)", tags, responses: { 200: messageResult } },
    handler: async ({ core, principal, input }) => ({ body: await service.createRole(core, await principal(), input.body) }),
  }),
  defineRoute({
    method: "GET",
    path: "/roles/assignments",
    docs: { summary: "Every user-role assignment", tags, responses: { 200: z.array(assignmentDto) } },
    handler: async ({ core, principal }) => ({ body: await service.listAssignments(core, await principal()) }),
  }),
  defineRoute({
    method: "POST",
    path: "/roles/assign",
    schemas: { body: assignmentInput },
    docs: { summary: "Assign a role to a user (admin)", tags, responses: { 200: messageResult } },
    handler: async ({ core, principal, input }) => ({ body: await service.assign(core, await principal(), input.body.userId, input.body.role) }),
  }),
  defineRoute({
    method: "POST",
    path: "/roles/revoke",
    schemas: { body: assignmentInput },
    docs: { summary: "Take a role from a user (admin)", tags, responses: { 200: messageResult } },
    handler: async ({ core, principal, input }) => ({ body: await service.revoke(core, await principal(), input.body.userId, input.body.role) }),
  }),
  defineRoute({
    method: "PATCH",
    path: "/roles/:name",
    schemas: { params: roleParams, body: updateRoleInput },
    docs: { summary: "Change a role's description, inherited roles or permission keys (admin)", tags, responses: { 200: messageResult } },
    handler: async ({ core, principal, input }) => ({ body: await service.updateRole(core, await principal(), input.params.name, input.body) }),
  }),
  defineRoute({
    method: "DELETE",
    path: "/roles/:name",
    schemas: { params: roleParams },
    docs: { summary: "Delete a role (admin)", tags, responses: { 200: messageResult } },
    handler: async ({ core, principal, input }) => ({ body: await service.deleteRole(core, await principal(), input.params.name) }),
  }),
  defineRoute({
    method: "GET",
    path: "/permissions",
    docs: { summary: "The caller's roles and effective permission keys", tags, responses: { 200: resolvedDto } },
    handler: async ({ core, principal }) => ({ body: await service.permissionsOf(core, await principal()) }),
  }),
  defineRoute({
    method: "GET",
    path: "/permissions/available",
    docs: { summary: "Every permission key the platform and installed apps define", tags, responses: { 200: availableDto } },
    handler: async ({ core, principal }) => ({ body: await service.availablePermissions(core, await principal()) }),
  }),
  defineRoute({
    method: "GET",
    path: "/permissions/explain",
    schemas: { query: explainQuery },
    docs: { summary: "Why a user holds (or lacks) a permission key: every role path that grants it", tags, responses: { 200: explanationDto } },
    handler: async ({ core, principal, input }) => ({ body: await service.explain(core, await principal(), input.query.userId, input.query.key) }),
  }),
  defineRoute({
    method: "GET",
    path: "/permissions/:userId",
    schemas: { params: z.object({ userId: userIdParam }) },
    docs: { summary: "A user's effective permissions", tags, responses: { 200: resolvedDto } },
    handler: async ({ core, principal, input }) => ({ body: await service.permissionsOf(core, await principal(), input.params.userId) }),
  }),
];
