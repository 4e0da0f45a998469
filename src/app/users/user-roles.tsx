"use client";
import { RoleAssignments } from "../components/role-assignments.tsx";
import type { UserDetails } from "./user-row.tsx";

/** The roles assigned to one user. */
export function UserRoles({ user, onChanged }: { user: UserDetails; onChanged: () => Promise<unknown> }) {
  return (
    <RoleAssignments
      holder={{ id: user.id, label: user.email, roles: user.roles }}
      emptyText="No role assigned: only the keys every user holds."
      revokeWarning={(role) => `${user.email} loses the keys of ${role} on their next request.`}
      onChanged={onChanged}
    />
  );
}
