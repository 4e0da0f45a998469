import type { RestRoute } from "../http/types.ts";
import { assignmentInput, createRoleInput, explainQuery, roleName, updateRoleInput } from "./schema.ts";
import * as service from "./service.ts";
import { z } from "zod";
import { defineRoute } from "../http/define-route.ts";

const userIdParam = z.guid({ message: "invalid userId" });

export const governanceRoutes: RestRoute[] = [
  {
    method: "GET",
    path: "/roles",
    handler: async ({ core, principal }) => {
      await principal();
      return { body: await service.listRoles(core) };
    },
  },
  { method: "POST", path: "/roles", handler: async ({ core, principal, body }) => ({ body: await service.createRole(core, await principal(), createRoleInput.parse(body)) }) },
  { method: "GET", path: "/roles/assignments", handler: async ({ core, principal }) => ({ body: await service.listAssignments(core, await principal()) }) },
  {
    method: "POST",
    path: "/roles/assign",
    handler: async ({ core, principal, body }) => {
      const { userId, role } = assignmentInput.parse(body);
      return { body: await service.assign(core, await principal(), userId, role) };
    },
  },
  {
    method: "POST",
    path: "/roles/revoke",
    handler: async ({ core, principal, body }) => {
      const { userId, role } = assignmentInput.parse(body);
      return { body: await service.revoke(core, await principal(), userId, role) };
    },
  },
  {
    method: "PATCH",
    path: "/roles/:name",
    handler: async ({ core, principal, params, body }) => ({
      body: await service.updateRole(core, await principal(), roleName.parse(params.name), updateRoleInput.parse(body)),
    }),
  },
  {
    method: "DELETE",
    path: "/roles/:name",
    handler: async ({ core, principal, params }) => ({ body: await service.deleteRole(core, await principal(), roleName.parse(params.name)) }),
  },
  { method: "GET", path: "/permissions", handler: async ({ core, principal }) => ({ body: await service.permissionsOf(core, await principal()) }) },
  { method: "GET", path: "/permissions/available", handler: async ({ core, principal }) => ({ body: await service.availablePermissions(core, await principal()) }) },
  {
    method: "GET",
    path: "/permissions/explain",
    handler: async ({ core, principal, query }) => {
      const { userId, key } = explainQuery.parse({ userId: query.get("userId") ?? undefined, key: query.get("key") ?? undefined });
      return { body: await service.explain(core, await principal(), userId, key) };
    },
  },
  defineRoute({
    method: "GET",
    path: "/permissions/:userId",
    schemas: { params: z.object({ userId: userIdParam }) },
    docs: { summary: "A user's effective permissions", tags: ["roles"] },
    handler: async ({ core, principal, input }) => ({ body: await service.permissionsOf(core, await principal(), input.params.userId) }),
  }),
];
