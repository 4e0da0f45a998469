"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "../trpc.ts";
import { Button, ErrorText, errorMessage } from "../ui.tsx";

interface UserDetails {
  id: string;
  email: string;
  displayName: string | null;
  createdAt: string;
  roles: string[];
  disabled: boolean;
  sessionCount: number;
}

type Panel = "none" | "password" | "sessions" | "delete";

export function UserRow({ user, isSelf, onChanged }: { user: UserDetails; isSelf: boolean; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const [panel, setPanel] = useState<Panel>("none");
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const setDisabled = useMutation(trpc.users.setDisabled.mutationOptions());
  const remove = useMutation(trpc.users.delete.mutationOptions());
  const resetPassword = useMutation(trpc.users.resetPassword.mutationOptions());

  async function run(action: () => Promise<unknown>, done?: string) {
    setError(undefined);
    setNotice(undefined);
    try {
      await action();
      if (done) setNotice(done);
      setPanel("none");
      await onChanged();
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  async function submitPassword(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const password = String(new FormData(e.currentTarget).get("password"));
    await run(() => resetPassword.mutateAsync({ userId: user.id, password }), "Password reset; the user's sessions have ended.");
  }

  const toggle = (p: Panel) => setPanel((cur) => (cur === p ? "none" : p));

  return (
    <>
      <tr data-testid={`user-row-${user.email}`} className="border-t border-slate-100 align-top">
        <td className="px-4 py-3">
          <div className="font-medium">{user.displayName ?? user.email}</div>
          <div className="text-xs text-slate-500">{user.email}</div>
        </td>
        <td className="px-4 py-3">{user.roles.join(", ") || "—"}</td>
        <td className="px-4 py-3">
          <span data-testid="user-status" className={user.disabled ? "text-red-600" : "text-emerald-700"}>
            {user.disabled ? "disabled" : "active"}
          </span>
        </td>
        <td className="px-4 py-3">{user.sessionCount}</td>
        <td className="px-4 py-3 text-slate-500">{new Date(user.createdAt).toLocaleDateString()}</td>
        <td className="space-x-2 whitespace-nowrap px-4 py-3 text-right">
          <Button variant="secondary" onClick={() => toggle("password")}>
            Reset password
          </Button>
          <Button variant="secondary" onClick={() => toggle("sessions")}>
            Sessions
          </Button>
          {!isSelf && (
            <Button variant="secondary" onClick={() => run(() => setDisabled.mutateAsync({ userId: user.id, disabled: !user.disabled }))}>
              {user.disabled ? "Enable" : "Disable"}
            </Button>
          )}
          {!isSelf && (
            <Button variant="danger" onClick={() => toggle("delete")}>
              Delete
            </Button>
          )}
        </td>
      </tr>
      {(panel !== "none" || error || notice) && (
        <tr className="bg-slate-50">
          <td colSpan={6} className="space-y-3 px-4 py-3">
            {panel === "password" && (
              <form onSubmit={submitPassword} aria-label={`New password for ${user.email}`} className="flex items-end gap-3">
                <label className="text-sm">
                  <span className="mb-1 block font-medium text-slate-700">New password for {user.email}</span>
                  <input name="password" type="password" autoComplete="new-password" required className="rounded-md border border-slate-300 px-3 py-1.5" />
                </label>
                <Button type="submit" disabled={resetPassword.isPending}>
                  Save password
                </Button>
              </form>
            )}
            {panel === "delete" && (
              <div className="flex items-center gap-3 text-sm">
                <span>Delete {user.email}? Their sessions and role assignments go with them.</span>
                <Button variant="danger" onClick={() => run(() => remove.mutateAsync({ userId: user.id }))}>
                  Confirm delete
                </Button>
                <Button variant="secondary" onClick={() => setPanel("none")}>
                  Cancel
                </Button>
              </div>
            )}
            {panel === "sessions" && <Sessions userId={user.id} onChanged={onChanged} />}
            <ErrorText>{error}</ErrorText>
            {notice && <p className="text-sm text-emerald-700">{notice}</p>}
          </td>
        </tr>
      )}
    </>
  );
}

function Sessions({ userId, onChanged }: { userId: string; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const sessions = useQuery(trpc.users.sessions.queryOptions({ userId }));
  const revoke = useMutation(trpc.users.revokeSession.mutationOptions());
  const [error, setError] = useState<string>();

  if (sessions.isPending) return <p className="text-sm text-slate-500">Loading sessions…</p>;
  if (sessions.isError) return <ErrorText>{sessions.error.message}</ErrorText>;
  if (sessions.data.length === 0) return <p className="text-sm text-slate-500">No open sessions.</p>;
  return (
    <div className="space-y-2">
      <table className="text-sm">
        <thead className="text-left text-xs text-slate-500">
          <tr>
            <th className="pr-6">Signed in</th>
            <th className="pr-6">Last used</th>
            <th className="pr-6">From</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {sessions.data.map((s) => (
            <tr key={s.id} data-testid="session-row">
              <td className="pr-6">{new Date(s.createdAt).toLocaleString()}</td>
              <td className="pr-6">{s.lastUsedAt ? new Date(s.lastUsedAt).toLocaleString() : "—"}</td>
              <td className="max-w-xs truncate pr-6" title={s.userAgent ?? undefined}>
                {s.ip ?? "?"}
              </td>
              <td>
                <Button
                  variant="secondary"
                  onClick={async () => {
                    setError(undefined);
                    try {
                      await revoke.mutateAsync({ userId, sessionId: s.id });
                      await sessions.refetch();
                      await onChanged();
                    } catch (err) {
                      setError(errorMessage(err));
                    }
                  }}
                >
                  Revoke
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorText>{error}</ErrorText>
    </div>
  );
}
