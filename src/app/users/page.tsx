"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useSession } from "../auth/session.tsx";
import { Button } from "../components/button.tsx";
import { DataTable, type Column } from "../components/data-table.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { PageHeader } from "../components/page-header.tsx";
import { ADMIN, forbiddenReason, useCan } from "../components/permissions.tsx";
import { SlideOver } from "../components/slide-over.tsx";
import { useToast } from "../components/toast.tsx";
import { useFormErrors } from "../components/use-form-errors.ts";
import { errorSentence } from "../components/api-error.ts";
import { useTRPC } from "../trpc.ts";
import { InviteLink } from "./invite-link.tsx";
import { OutstandingInvitations } from "./outstanding-invitations.tsx";
import { UserActions, type UserDetails } from "./user-row.tsx";

/** Making sign-in links (an administrator holds it through `*`). */
const INVITE_KEY = "auth.invite";

const ADD_FIELDS = ["email", "displayName", "password"] as const;

const COLUMNS: Column<UserDetails>[] = [
  {
    key: "user",
    header: "User",
    hideable: false,
    cell: (u) => (
      <>
        <div className="font-medium">{u.displayName ?? u.email}</div>
        <div className="text-xs text-slate-600 dark:text-slate-400">{u.email}</div>
      </>
    ),
  },
  { key: "roles", header: "Roles", cell: (u) => u.roles.join(", ") || "—" },
  {
    key: "status",
    header: "Status",
    cell: (u) => (
      <span data-testid="user-status" className={u.disabled ? "text-red-700 dark:text-red-400" : "text-emerald-700 dark:text-emerald-400"}>
        {u.disabled ? "disabled" : "active"}
      </span>
    ),
  },
  { key: "sessions", header: "Sessions", cell: (u) => u.sessionCount },
  { key: "created", header: "Created", cell: (u) => <span className="text-slate-600 dark:text-slate-400">{new Date(u.createdAt).toLocaleDateString()}</span> },
];

/** The auth panel: every user with roles and status, and what an administrator can do about each. */
export default function UsersPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { state } = useSession();
  const isAdmin = useCan(ADMIN);
  const canInvite = useCan(INVITE_KEY);
  const users = useQuery(trpc.users.details.queryOptions());
  const register = useMutation(trpc.auth.register.mutationOptions());
  const { errors, fail, clear } = useFormErrors(ADD_FIELDS);
  const [adding, setAdding] = useState(false);
  const [inviting, setInviting] = useState(false);

  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.users.details.queryKey() });

  async function addUser(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const email = String(form.get("email"));
    clear();
    try {
      await register.mutateAsync({ email, password: String(form.get("password")), displayName: String(form.get("displayName") || "") || undefined });
      setAdding(false);
      toast.success(`${email} added.`);
      await refresh();
    } catch (err) {
      fail(err);
    }
  }

  const header = (
    <PageHeader
      title="Users"
      breadcrumbs={[{ label: "Studio", href: "/" }, { label: "Users" }]}
      description="Accounts, their roles and sessions. Disabling a user ends every session at once."
      actions={
        <div className="flex gap-2">
          <Button variant="secondary" disabledReason={canInvite ? undefined : forbiddenReason(INVITE_KEY)} onClick={() => setInviting(true)}>
            Invite by magic link
          </Button>
          <Button disabledReason={isAdmin ? undefined : forbiddenReason(ADMIN)} onClick={() => setAdding(true)}>
            Add user
          </Button>
        </div>
      }
    />
  );

  return (
    <section className="space-y-6">
      {header}
      <InviteLink
        open={inviting}
        onClose={() => setInviting(false)}
        onInvited={() => void Promise.all([refresh(), queryClient.invalidateQueries({ queryKey: trpc.magicLink.outstanding.queryKey() })])}
      />
      <SlideOver open={adding} title="Add user" onClose={() => setAdding(false)}>
        <form noValidate onSubmit={addUser} aria-label="Add user" className="space-y-3">
          <FormField kind="email" label="Email" name="email" required error={errors.fields.email} onChange={() => clear("email")} />
          <FormField label="Display name" name="displayName" error={errors.fields.displayName} onChange={() => clear("displayName")} />
          <FormField kind="password" label="Password" name="password" autoComplete="new-password" required error={errors.fields.password} onChange={() => clear("password")} />
          <FormError>{errors.form}</FormError>
          <Button type="submit" disabled={register.isPending}>
            Create user
          </Button>
        </form>
      </SlideOver>

      {users.isError ? (
        <FormError>{users.error.data?.code === "FORBIDDEN" ? "Managing users requires the admin role." : errorSentence(users.error)}</FormError>
      ) : (
        <DataTable
          label="Users"
          columns={COLUMNS}
          rows={users.data}
          loading={users.isPending}
          rowKey={(u) => u.id}
          rowProps={(u) => ({ "data-testid": `user-row-${u.email}` })}
          actions={(u) => <UserActions user={u} isSelf={state.status === "authenticated" && state.user.id === u.id} onChanged={refresh} />}
          empty="No users yet."
        />
      )}
      {canInvite ? <OutstandingInvitations /> : null}
    </section>
  );
}
