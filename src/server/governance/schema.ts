import { z } from "zod";

export const permissionKey = z
  .string()
  .regex(/^[a-z0-9_:.*]+$/, { message: "permission keys use only a-z, 0-9 and _ : . *" })
  .max(200);

export const roleName = z
  .string()
  .regex(/^[a-z0-9_:.-]{1,100}$/, { message: "role names use only a-z, 0-9 and _ : . - (at most 100)" });

const keyList = z.array(permissionKey).max(1000).transform((keys) => [...new Set(keys)].sort());
const roleList = z.array(roleName).max(100).transform((roles) => [...new Set(roles)].sort());

export const createRoleInput = z.object({
  name: roleName,
  description: z.string().max(500).optional(),
  inherits: roleList.optional(),
  permissions: keyList.optional(),
});

export const updateRoleInput = z
  .object({
    description: z.string().max(500).optional(),
    inherits: roleList.optional(),
    permissions: keyList.optional(),
  })
  .refine((v) => v.description !== undefined || v.inherits !== undefined || v.permissions !== undefined, {
    message: "nothing to update: give description, inherits or permissions",
  });

export const assignmentInput = z.object({ userId: z.guid({ message: "invalid userId" }), role: roleName });

export const explainQuery = z.object({ userId: z.guid({ message: "invalid userId" }), key: permissionKey });

export const roleDto = z.object({
  name: z.string(),
  description: z.string().nullable(),
  inherits: z.array(z.string()),
  permissions: z.array(z.string()),
});

export const assignmentDto = z.object({ userId: z.string(), role: z.string(), assignedAt: z.string() });

export const resolvedDto = z.object({ roles: z.array(z.string()), permissions: z.array(z.string()) });

export const availableDto = z.array(z.object({ key: z.string(), description: z.string() }));

export const explanationDto = z.object({
  userId: z.string(),
  key: z.string(),
  granted: z.boolean(),
  /** Every way the key is granted: the assigned role, the inheritance path to the granting role, the held key. */
  grants: z.array(z.object({ assignedRole: z.string(), path: z.array(z.string()), role: z.string(), heldKey: z.string() })),
});

export type CreateRoleInput = z.infer<typeof createRoleInput>;
export type UpdateRoleInput = z.infer<typeof updateRoleInput>;
export type RoleDto = z.infer<typeof roleDto>;
export type AssignmentDto = z.infer<typeof assignmentDto>;
export type Explanation = z.infer<typeof explanationDto>;
