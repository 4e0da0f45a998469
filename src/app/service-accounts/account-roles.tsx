"use client";
import { RoleAssignments } from "../components/role-assignments.tsx";
import type { AccountDetails } from "./types.ts";

/** The account's roles, assigned and revoked through the same roles API as a person's. */
export function AccountRoles({ account, onChanged }: { account: AccountDetails; onChanged: () => Promise<unknown> }) {
  return (
    <RoleAssignments
      holder={{ id: account.id, label: account.slug, roles: account.roles }}
      emptyText="No role assigned: this account may do nothing yet."
      revokeWarning={(role) => `${account.slug}'s keys lose the permissions of ${role} on their next request.`}
      onChanged={onChanged}
    />
  );
}
