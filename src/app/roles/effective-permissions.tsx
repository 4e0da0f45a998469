"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../trpc.ts";

/** What a user can actually do: its roles expanded through inheritance and the union of their keys. */
export function EffectivePermissions({ users }: { users: { id: string; email: string }[] }) {
  const trpc = useTRPC();
  const [userId, setUserId] = useState("");
  const resolved = useQuery({ ...trpc.permissions.of.queryOptions({ userId }), enabled: userId !== "" });
  return (
    <section aria-label="Effective permissions" className="space-y-2 rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-700 dark:bg-slate-900">
      <h2 className="font-semibold">Effective permissions</h2>
      <select value={userId} onChange={(e) => setUserId(e.target.value)} aria-label="User to inspect" className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm dark:border-slate-600 dark:bg-slate-900">
        <option value="">Choose a user…</option>
        {users.map((u) => (
          <option key={u.id} value={u.id}>
            {u.email}
          </option>
        ))}
      </select>
      {resolved.data && (
        <div className="text-sm">
          <p>
            <span className="text-slate-600 dark:text-slate-400">Roles (with inherited): </span>
            <span data-testid="effective-roles" className="font-mono">{resolved.data.roles.join(", ") || "—"}</span>
          </p>
          <p>
            <span className="text-slate-600 dark:text-slate-400">Keys: </span>
            <span data-testid="effective-keys" className="font-mono">{resolved.data.permissions.join(", ") || "—"}</span>
          </p>
        </div>
      )}
    </section>
  );
}
