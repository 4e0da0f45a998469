"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useSession } from "../auth/session.tsx";
import { useTRPC } from "../trpc.ts";
import { Button, ErrorText, errorMessage, Field } from "../ui.tsx";
import { UserRow } from "./user-row.tsx";

/** The auth panel: every user with roles and status, and what an administrator can do about each. */
export default function UsersPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { state } = useSession();
  const users = useQuery(trpc.users.details.queryOptions());
  const register = useMutation(trpc.auth.register.mutationOptions());
  const [formError, setFormError] = useState<string>();
  const [adding, setAdding] = useState(false);

  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.users.details.queryKey() });

  async function addUser(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    setFormError(undefined);
    try {
      await register.mutateAsync({
        email: String(form.get("email")),
        password: String(form.get("password")),
        displayName: String(form.get("displayName") || "") || undefined,
      });
      formEl.reset();
      setAdding(false);
      await refresh();
    } catch (err) {
      setFormError(errorMessage(err));
    }
  }

  if (users.isError) {
    return (
      <section className="space-y-4">
        <h1 className="text-2xl font-bold tracking-tight">Users</h1>
        <ErrorText>{users.error.data?.code === "FORBIDDEN" ? "Managing users requires the admin role." : users.error.message}</ErrorText>
      </section>
    );
  }

  return (
    <section className="space-y-6">
      <header className="flex items-end justify-between">
        <div>
          <h1 className="text-2xl font-bold tracking-tight">Users</h1>
          <p className="text-sm text-slate-500">Accounts, their roles and sessions. Disabling a user ends every session at once.</p>
        </div>
        <Button onClick={() => setAdding((a) => !a)}>{adding ? "Cancel" : "Add user"}</Button>
      </header>

      {adding && (
        <form onSubmit={addUser} aria-label="Add user" className="grid max-w-3xl grid-cols-3 items-end gap-3 rounded-lg border border-slate-200 bg-white p-4">
          <Field label="Email" name="email" type="email" required />
          <Field label="Display name" name="displayName" />
          <Field label="Password" name="password" type="password" autoComplete="new-password" required />
          <div className="col-span-3 flex items-center gap-3">
            <Button type="submit" disabled={register.isPending}>
              Create user
            </Button>
            <ErrorText>{formError}</ErrorText>
          </div>
        </form>
      )}

      {users.isPending ? (
        <p className="text-slate-500">Loading users…</p>
      ) : (
        <table className="w-full border-collapse overflow-hidden rounded-lg bg-white text-sm shadow-sm">
          <thead className="bg-slate-100 text-left text-xs uppercase tracking-wide text-slate-500">
            <tr>
              <th className="px-4 py-2">User</th>
              <th className="px-4 py-2">Roles</th>
              <th className="px-4 py-2">Status</th>
              <th className="px-4 py-2">Sessions</th>
              <th className="px-4 py-2">Created</th>
              <th className="px-4 py-2 text-right">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.data.map((u) => (
              <UserRow key={u.id} user={u} isSelf={state.status === "authenticated" && state.user.id === u.id} onChanged={refresh} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
