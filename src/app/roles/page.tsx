"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../trpc.ts";
import { Button, ErrorText, errorMessage } from "../ui.tsx";
import { EffectivePermissions } from "./effective-permissions.tsx";
import { RoleForm } from "./role-form.tsx";

/** The roles panel: roles with their keys and inheritance, who holds each, assign and revoke. */
export default function RolesPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const roles = useQuery(trpc.roles.list.queryOptions());
  const assignments = useQuery(trpc.roles.assignments.queryOptions());
  const users = useQuery(trpc.users.list.queryOptions());
  const declared = useQuery(trpc.permissions.available.queryOptions());
  const create = useMutation(trpc.roles.create.mutationOptions());
  const update = useMutation(trpc.roles.update.mutationOptions());
  const remove = useMutation(trpc.roles.delete.mutationOptions());
  const assign = useMutation(trpc.roles.assign.mutationOptions());
  const revoke = useMutation(trpc.roles.revoke.mutationOptions());
  const [editing, setEditing] = useState<string | "new" | undefined>();
  const [error, setError] = useState<string>();
  const [assignUser, setAssignUser] = useState("");
  const [assignRole, setAssignRole] = useState("");

  const refresh = () =>
    Promise.all([qc.invalidateQueries({ queryKey: trpc.roles.list.queryKey() }), qc.invalidateQueries({ queryKey: trpc.roles.assignments.queryKey() }), qc.invalidateQueries({ queryKey: trpc.permissions.of.queryKey() })]);
  const act = async (fn: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await fn();
      await refresh();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  if (roles.isError || assignments.isError) {
    const e = roles.error ?? assignments.error;
    return <ErrorText>{e?.data?.code === "FORBIDDEN" ? "Managing roles requires the admin role." : e?.message}</ErrorText>;
  }
  if (!roles.data || !assignments.data || !users.data || !declared.data) return <p className="text-slate-500">Loading roles…</p>;
  const emailOf = new Map(users.data.map((u) => [u.id, u.email]));
  const names = roles.data.map((r) => r.name);

  return (
    <section className="space-y-6">
      <header className="flex items-end justify-between">
        <div>
          <h1 className="text-2xl font-bold tracking-tight">Roles</h1>
          <p className="text-sm text-slate-500">Permission keys, inheritance and who holds each role. PostgreSQL enforces them on every query.</p>
        </div>
        <Button onClick={() => setEditing(editing === "new" ? undefined : "new")}>New role</Button>
      </header>
      <ErrorText>{error}</ErrorText>

      {editing === "new" && (
        <RoleForm
          roleNames={names}
          declared={declared.data}
          submitLabel="Create role"
          onCancel={() => setEditing(undefined)}
          onSubmit={async (v) => {
            await create.mutateAsync({ name: v.name, description: v.description || undefined, inherits: v.inherits, permissions: v.permissions });
            setEditing(undefined);
            await refresh();
          }}
        />
      )}

      <div className="space-y-3">
        {roles.data.map((role) => {
          const holders = assignments.data.filter((a) => a.role === role.name);
          return (
            <article key={role.name} data-testid={`role-${role.name}`} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
              <div className="flex items-start justify-between gap-4">
                <div className="space-y-1">
                  <h2 className="font-mono text-lg font-semibold">{role.name}</h2>
                  {role.description && <p className="text-sm text-slate-600">{role.description}</p>}
                  <p className="text-sm">
                    <span className="text-slate-500">Keys: </span>
                    <span data-testid="role-permissions" className="font-mono">{role.permissions.join(", ") || "—"}</span>
                  </p>
                  <p className="text-sm">
                    <span className="text-slate-500">Inherits: </span>
                    <span data-testid="role-inherits" className="font-mono">{role.inherits.join(", ") || "—"}</span>
                  </p>
                </div>
                {role.name !== "admin" && (
                  <div className="flex gap-2">
                    <Button variant="secondary" onClick={() => setEditing(editing === role.name ? undefined : role.name)}>
                      Edit
                    </Button>
                    {role.name !== "base" && (
                      <Button variant="danger" onClick={() => confirm(`Delete role ${role.name}?`) && act(() => remove.mutateAsync({ name: role.name }))}>
                        Delete
                      </Button>
                    )}
                  </div>
                )}
              </div>
              {editing === role.name && (
                <div className="mt-3">
                  <RoleForm
                    initial={{ name: role.name, description: role.description ?? "", inherits: role.inherits, permissions: role.permissions }}
                    roleNames={names}
                    declared={declared.data}
                    submitLabel="Save role"
                    onCancel={() => setEditing(undefined)}
                    onSubmit={async (v) => {
                      await update.mutateAsync({ name: role.name, changes: { description: v.description, inherits: v.inherits, permissions: v.permissions } });
                      setEditing(undefined);
                      await refresh();
                    }}
                  />
                </div>
              )}
              <div className="mt-3 flex flex-wrap items-center gap-2 text-sm">
                <span className="text-slate-500">Held by:</span>
                {holders.length === 0 && <span className="text-slate-400">nobody</span>}
                {holders.map((h) => (
                  <span key={h.userId} className="flex items-center gap-1 rounded bg-slate-100 px-2 py-0.5">
                    {emailOf.get(h.userId) ?? h.userId}
                    <button
                      type="button"
                      aria-label={`Revoke ${role.name} from ${emailOf.get(h.userId) ?? h.userId}`}
                      className="text-slate-500 hover:text-red-600"
                      onClick={() => act(() => revoke.mutateAsync({ userId: h.userId, role: role.name }))}
                    >
                      ×
                    </button>
                  </span>
                ))}
              </div>
            </article>
          );
        })}
      </div>

      <section aria-label="Assign a role" className="flex items-end gap-3 rounded-lg border border-slate-200 bg-white p-4">
        <label className="text-sm">
          <span className="mb-1 block font-medium text-slate-700">User</span>
          <select value={assignUser} onChange={(e) => setAssignUser(e.target.value)} aria-label="User to assign" className="rounded-md border border-slate-300 px-3 py-1.5">
            <option value="">Choose…</option>
            {users.data.map((u) => (
              <option key={u.id} value={u.id}>
                {u.email}
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm">
          <span className="mb-1 block font-medium text-slate-700">Role</span>
          <select value={assignRole} onChange={(e) => setAssignRole(e.target.value)} aria-label="Role to assign" className="rounded-md border border-slate-300 px-3 py-1.5">
            <option value="">Choose…</option>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <Button disabled={!assignUser || !assignRole} onClick={() => act(() => assign.mutateAsync({ userId: assignUser, role: assignRole }))}>
          Assign
        </Button>
      </section>

      <EffectivePermissions users={users.data} />
    </section>
  );
}
