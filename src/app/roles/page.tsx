"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { PageHeader } from "../components/page-header.tsx";
import { ADMIN, forbiddenReason, useCan } from "../components/permissions.tsx";
import { SlideOver } from "../components/slide-over.tsx";
import { useToast } from "../components/toast.tsx";
import { errorSentence } from "../components/api-error.ts";
import { useTRPC } from "../trpc.ts";
import { EffectivePermissions } from "./effective-permissions.tsx";
import { RoleForm } from "./role-form.tsx";

type Pending = { kind: "delete"; role: string; holders: number } | { kind: "revoke"; role: string; userId: string; email: string };

/** The roles panel: roles with their keys and inheritance, who holds each, assign and revoke. */
export default function RolesPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const isAdmin = useCan(ADMIN);
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
  const [pending, setPending] = useState<Pending>();
  const [assignUser, setAssignUser] = useState("");
  const [assignRole, setAssignRole] = useState("");

  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: trpc.roles.list.queryKey() }),
      qc.invalidateQueries({ queryKey: trpc.roles.assignments.queryKey() }),
      qc.invalidateQueries({ queryKey: trpc.permissions.of.queryKey() }),
      qc.invalidateQueries({ queryKey: trpc.permissions.mine.queryKey() }),
    ]);
  /** Runs an action, then a success toast or a failure toast with a readable sentence. */
  const act = async (fn: () => Promise<unknown>, done: string) => {
    try {
      await fn();
      toast.success(done);
      await refresh();
    } catch (err) {
      toast.error(err);
    }
  };

  const header = (
    <PageHeader
      title="Roles"
      breadcrumbs={[{ label: "Studio", href: "/" }, { label: "Roles" }]}
      description="Permission keys, inheritance and who holds each role. PostgreSQL enforces them on every query."
      actions={
        <Button disabledReason={isAdmin ? undefined : forbiddenReason(ADMIN)} onClick={() => setEditing("new")}>
          New role
        </Button>
      }
    />
  );

  if (roles.isError || assignments.isError) {
    const e = roles.error ?? assignments.error;
    return (
      <section className="space-y-6">
        {header}
        <FormError>{e?.data?.code === "FORBIDDEN" ? "Managing roles requires the admin role." : errorSentence(e)}</FormError>
      </section>
    );
  }
  if (!roles.data || !assignments.data || !users.data || !declared.data) {
    return (
      <section className="space-y-6">
        {header}
        <p className="text-slate-600 dark:text-slate-400">Loading roles…</p>
      </section>
    );
  }
  const emailOf = new Map(users.data.map((u) => [u.id, u.email]));
  const names = roles.data.map((r) => r.name);
  const editedRole = roles.data.find((r) => r.name === editing);

  return (
    <section className="space-y-6">
      {header}

      <SlideOver open={editing !== undefined} title={editing === "new" ? "New role" : `Edit role ${editing ?? ""}`} onClose={() => setEditing(undefined)}>
        {editing === "new" && (
          <RoleForm
            roleNames={names}
            declared={declared.data}
            submitLabel="Create role"
            onCancel={() => setEditing(undefined)}
            onSubmit={async (v) => {
              await create.mutateAsync({ name: v.name, description: v.description || undefined, inherits: v.inherits, permissions: v.permissions });
              setEditing(undefined);
              toast.success(`Role ${v.name} created.`);
              await refresh();
            }}
          />
        )}
        {editedRole && (
          <RoleForm
            initial={{ name: editedRole.name, description: editedRole.description ?? "", inherits: editedRole.inherits, permissions: editedRole.permissions }}
            roleNames={names}
            declared={declared.data}
            submitLabel="Save role"
            onCancel={() => setEditing(undefined)}
            onSubmit={async (v) => {
              await update.mutateAsync({ name: editedRole.name, changes: { description: v.description, inherits: v.inherits, permissions: v.permissions } });
              setEditing(undefined);
              toast.success(`Role ${editedRole.name} saved.`);
              await refresh();
            }}
          />
        )}
      </SlideOver>

      <div className="space-y-3">
        {roles.data.map((role) => {
          const holders = assignments.data.filter((a) => a.role === role.name);
          return (
            <article key={role.name} data-testid={`role-${role.name}`} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-700 dark:bg-slate-900">
              <div className="flex flex-wrap items-start justify-between gap-4">
                <div className="min-w-0 space-y-1">
                  <h2 className="font-mono text-lg font-semibold">{role.name}</h2>
                  {role.description && <p className="text-sm text-slate-600 dark:text-slate-400">{role.description}</p>}
                  <p className="text-sm break-words">
                    <span className="text-slate-600 dark:text-slate-400">Keys: </span>
                    <span data-testid="role-permissions" className="font-mono">{role.permissions.join(", ") || "—"}</span>
                  </p>
                  <p className="text-sm">
                    <span className="text-slate-600 dark:text-slate-400">Inherits: </span>
                    <span data-testid="role-inherits" className="font-mono">{role.inherits.join(", ") || "—"}</span>
                  </p>
                </div>
                {role.name !== "admin" && (
                  <div className="flex gap-2">
                    <Button variant="secondary" disabledReason={isAdmin ? undefined : forbiddenReason(ADMIN)} onClick={() => setEditing(role.name)}>
                      Edit
                    </Button>
                    {role.name !== "base" && (
                      <Button variant="danger" disabledReason={isAdmin ? undefined : forbiddenReason(ADMIN)} onClick={() => setPending({ kind: "delete", role: role.name, holders: holders.length })}>
                        Delete
                      </Button>
                    )}
                  </div>
                )}
              </div>
              <div className="mt-3 flex flex-wrap items-center gap-2 text-sm">
                <span className="text-slate-600 dark:text-slate-400">Held by:</span>
                {holders.length === 0 && <span className="text-slate-600 dark:text-slate-400">nobody</span>}
                {holders.map((h) => {
                  const email = emailOf.get(h.userId) ?? h.userId;
                  return (
                    <span key={h.userId} className="flex items-center gap-1 rounded bg-slate-100 px-2 py-0.5 dark:bg-slate-800">
                      {email}
                      <button
                        type="button"
                        aria-label={`Revoke ${role.name} from ${email}`}
                        className="text-slate-600 hover:text-red-700 dark:text-slate-300"
                        onClick={() => setPending({ kind: "revoke", role: role.name, userId: h.userId, email })}
                      >
                        ×
                      </button>
                    </span>
                  );
                })}
              </div>
            </article>
          );
        })}
      </div>

      <ConfirmDialog
        open={pending?.kind === "delete"}
        title={`Delete role ${pending?.role ?? ""}?`}
        confirmLabel="Delete role"
        typeToConfirm={pending?.kind === "delete" && pending.holders > 0 ? pending.role : undefined}
        onCancel={() => setPending(undefined)}
        onConfirm={async () => {
          const role = pending?.role ?? "";
          setPending(undefined);
          await act(() => remove.mutateAsync({ name: role }), `Role ${role} deleted.`);
        }}
      >
        {pending?.kind === "delete" && pending.holders > 0
          ? `${pending.holders} user(s) hold this role and lose its keys at once.`
          : "Nobody holds this role; roles inheriting it lose its keys."}
      </ConfirmDialog>
      <ConfirmDialog
        open={pending?.kind === "revoke"}
        title="Revoke role?"
        confirmLabel="Revoke"
        onCancel={() => setPending(undefined)}
        onConfirm={async () => {
          if (pending?.kind !== "revoke") return;
          const p = pending;
          setPending(undefined);
          await act(() => revoke.mutateAsync({ userId: p.userId, role: p.role }), `Role ${p.role} revoked from ${p.email}.`);
        }}
      >
        {pending?.kind === "revoke" && `${pending.email} loses the keys of ${pending.role} on their next request.`}
      </ConfirmDialog>

      <section aria-label="Assign a role" className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-700 dark:bg-slate-900">
        <div className="w-64">
          <FormField
            kind="select"
            label="User"
            aria-label="User to assign"
            value={assignUser}
            onChange={(e) => setAssignUser(e.target.value)}
            placeholder="Choose…"
            options={users.data.map((u) => ({ value: u.id, label: u.email }))}
          />
        </div>
        <div className="w-48">
          <FormField kind="select" label="Role" aria-label="Role to assign" value={assignRole} onChange={(e) => setAssignRole(e.target.value)} placeholder="Choose…" options={names.map((n) => ({ value: n, label: n }))} />
        </div>
        <Button
          disabled={!assignUser || !assignRole}
          disabledReason={isAdmin ? undefined : forbiddenReason(ADMIN)}
          onClick={() => act(() => assign.mutateAsync({ userId: assignUser, role: assignRole }), `Role ${assignRole} assigned to ${emailOf.get(assignUser) ?? assignUser}.`)}
        >
          Assign
        </Button>
      </section>

      <EffectivePermissions users={users.data} />
    </section>
  );
}
