import { z } from "zod";
import { authedProcedure, router } from "../trpc/init.ts";
import * as schema from "./schema.ts";
import * as service from "./service.ts";

const message = z.object({ message: z.string() });

export const rolesRouter = router({
  list: authedProcedure.output(z.array(schema.roleDto)).query(({ ctx }) => service.listRoles(ctx.core)),
  create: authedProcedure.input(schema.createRoleInput).output(message).mutation(({ ctx, input }) => service.createRole(ctx.core, ctx.principal, input)),
  update: authedProcedure
    .input(z.object({ name: schema.roleName, changes: schema.updateRoleInput }))
    .output(message)
    .mutation(({ ctx, input }) => service.updateRole(ctx.core, ctx.principal, input.name, input.changes)),
  delete: authedProcedure.input(z.object({ name: schema.roleName })).output(message).mutation(({ ctx, input }) => service.deleteRole(ctx.core, ctx.principal, input.name)),
  assignments: authedProcedure.output(z.array(schema.assignmentDto)).query(({ ctx }) => service.listAssignments(ctx.core, ctx.principal)),
  assign: authedProcedure.input(schema.assignmentInput).output(message).mutation(({ ctx, input }) => service.assign(ctx.core, ctx.principal, input.userId, input.role)),
  revoke: authedProcedure.input(schema.assignmentInput).output(message).mutation(({ ctx, input }) => service.revoke(ctx.core, ctx.principal, input.userId, input.role)),
});

export const permissionsRouter = router({
  mine: authedProcedure.output(schema.resolvedDto).query(({ ctx }) => service.permissionsOf(ctx.core, ctx.principal)),
  of: authedProcedure.input(z.object({ userId: z.guid() })).output(schema.resolvedDto).query(({ ctx, input }) => service.permissionsOf(ctx.core, ctx.principal, input.userId)),
  available: authedProcedure.output(schema.availableDto).query(({ ctx }) => service.availablePermissions(ctx.core, ctx.principal)),
  explain: authedProcedure.input(schema.explainQuery).output(schema.explanationDto).query(({ ctx, input }) => service.explain(ctx.core, ctx.principal, input.userId, input.key)),
});
