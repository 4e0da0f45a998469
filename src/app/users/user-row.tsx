"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { SlideOver } from "../components/slide-over.tsx";
import { useToast } from "../components/toast.tsx";
import { useFormErrors } from "../components/use-form-errors.ts";
import { errorSentence } from "../components/api-error.ts";
import { useTRPC } from "../trpc.ts";
import { UserAccess } from "./user-access.tsx";

export interface UserDetails {
  id: string;
  email: string;
  displayName: string | null;
  createdAt: string;
  roles: string[];
  disabled: boolean;
  sessionCount: number;
}

type Open = "none" | "access" | "password" | "sessions" | "disable" | "delete";

/** One user's action buttons and the panels and confirmations they open. */
export function UserActions({ user, isSelf, onChanged }: { user: UserDetails; isSelf: boolean; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const toast = useToast();
  const [open, setOpen] = useState<Open>("none");
  const setDisabled = useMutation(trpc.users.setDisabled.mutationOptions());
  const remove = useMutation(trpc.users.delete.mutationOptions());
  const close = () => setOpen("none");

  async function run(action: () => Promise<unknown>, done: string) {
    close();
    try {
      await action();
      toast.success(done);
      await onChanged();
    } catch (err) {
      toast.error(err);
    }
  }
  const enable = () => run(() => setDisabled.mutateAsync({ userId: user.id, disabled: false }), `${user.email} enabled.`);

  return (
    <>
      <Button variant="secondary" onClick={() => setOpen("access")}>
        Access
      </Button>
      <Button variant="secondary" onClick={() => setOpen("password")}>
        Reset password
      </Button>
      <Button variant="secondary" onClick={() => setOpen("sessions")}>
        Sessions
      </Button>
      {!isSelf && (
        <Button variant="secondary" onClick={() => (user.disabled ? void enable() : setOpen("disable"))}>
          {user.disabled ? "Enable" : "Disable"}
        </Button>
      )}
      {!isSelf && (
        <Button variant="danger" onClick={() => setOpen("delete")}>
          Delete
        </Button>
      )}

      <SlideOver open={open === "access"} title="Access" description={user.email} onClose={close}>
        {open === "access" && <UserAccess user={user} onChanged={onChanged} />}
      </SlideOver>
      <SlideOver open={open === "password"} title="Reset password" description={user.email} onClose={close}>
        <PasswordForm userId={user.id} email={user.email} onDone={async () => { close(); toast.success("Password reset; the user's sessions have ended."); await onChanged(); }} />
      </SlideOver>
      <SlideOver open={open === "sessions"} title="Sessions" description={user.email} onClose={close}>
        <Sessions userId={user.id} onChanged={onChanged} />
      </SlideOver>
      <ConfirmDialog
        open={open === "disable"}
        title={`Disable ${user.email}?`}
        confirmLabel="Disable user"
        onCancel={close}
        onConfirm={() => run(() => setDisabled.mutateAsync({ userId: user.id, disabled: true }), `${user.email} disabled; their sessions have ended.`)}
      >
        Every session of this user ends at once and they cannot sign in until enabled again.
      </ConfirmDialog>
      <ConfirmDialog
        open={open === "delete"}
        title={`Delete ${user.email}?`}
        confirmLabel="Delete user"
        typeToConfirm={user.email}
        onCancel={close}
        onConfirm={() => run(() => remove.mutateAsync({ userId: user.id }), `${user.email} deleted.`)}
      >
        Their sessions and role assignments go with them. This cannot be undone.
      </ConfirmDialog>
    </>
  );
}

function PasswordForm({ userId, email, onDone }: { userId: string; email: string; onDone: () => Promise<void> }) {
  const trpc = useTRPC();
  const resetPassword = useMutation(trpc.users.resetPassword.mutationOptions());
  const { errors, fail, clear } = useFormErrors(PASSWORD_FIELDS);
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const password = String(new FormData(e.currentTarget).get("password"));
    clear();
    try {
      await resetPassword.mutateAsync({ userId, password });
      await onDone();
    } catch (err) {
      fail(err);
    }
  }
  return (
    <form noValidate onSubmit={submit} aria-label={`New password for ${email}`} className="space-y-3">
      <FormField kind="password" label={`New password for ${email}`} name="password" autoComplete="new-password" required error={errors.fields.password} onChange={() => clear("password")} />
      <FormError>{errors.form}</FormError>
      <Button type="submit" disabled={resetPassword.isPending}>
        Save password
      </Button>
    </form>
  );
}
const PASSWORD_FIELDS = ["password"] as const;

function Sessions({ userId, onChanged }: { userId: string; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const toast = useToast();
  const sessions = useQuery(trpc.users.sessions.queryOptions({ userId }));
  const revoke = useMutation(trpc.users.revokeSession.mutationOptions());

  if (sessions.isPending) return <p className="text-sm text-slate-600 dark:text-slate-400">Loading sessions…</p>;
  if (sessions.isError) return <FormError>{errorSentence(sessions.error)}</FormError>;
  if (sessions.data.length === 0) return <p className="text-sm text-slate-600 dark:text-slate-400">No open sessions.</p>;
  return (
    <ul className="space-y-2 text-sm">
      {sessions.data.map((s) => (
        <li key={s.id} data-testid="session-row" className="flex items-start justify-between gap-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
          <div className="min-w-0">
            <div>Signed in {new Date(s.createdAt).toLocaleString()}</div>
            <div className="text-slate-600 dark:text-slate-400">Last used {s.lastUsedAt ? new Date(s.lastUsedAt).toLocaleString() : "—"}</div>
            <div className="truncate text-slate-600 dark:text-slate-400" title={s.userAgent ?? undefined}>
              From {s.ip ?? "?"}
            </div>
          </div>
          <Button
            variant="secondary"
            onClick={async () => {
              try {
                await revoke.mutateAsync({ userId, sessionId: s.id });
                toast.success("Session revoked.");
                await sessions.refetch();
                await onChanged();
              } catch (err) {
                toast.error(err);
              }
            }}
          >
            Revoke
          </Button>
        </li>
      ))}
    </ul>
  );
}
