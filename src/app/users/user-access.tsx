"use client";
import { ExplainKey } from "./explain-key.tsx";
import { UserRoles } from "./user-roles.tsx";
import type { UserDetails } from "./user-row.tsx";

/** The body of a user's "Access" panel: the roles assigned to them, and why they hold a given key. */
export function UserAccess({ user, onChanged }: { user: UserDetails; onChanged: () => Promise<unknown> }) {
  return (
    <div className="space-y-8">
      <UserRoles user={user} onChanged={onChanged} />
      <ExplainKey userId={user.id} email={user.email} />
    </div>
  );
}
