"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { errorSentence } from "./api-error.ts";
import { Button } from "./button.tsx";
import { ConfirmDialog } from "./confirm-dialog.tsx";
import { FormError, FormField } from "./form-field.tsx";
import { ADMIN, forbiddenReason, useCan } from "./permissions.tsx";
import { useToast } from "./toast.tsx";
import { useFormErrors } from "./use-form-errors.ts";
import { useTRPC } from "../trpc.ts";

const FIELDS = ["role"] as const;

export interface RoleHolder {
  id: string;
  /** How the holder is named in buttons, toasts and confirmations: a person's e-mail, an account's slug. */
  label: string;
  roles: string[];
}

/**
 * The roles assigned to a person or a service account, with assign (a select of existing roles) and revoke
 * (confirmed). Both go through the roles API, which is the admin's (`*`): anyone else sees the roles, with the
 * buttons disabled saying why.
 */
export function RoleAssignments({ holder, emptyText, revokeWarning, onChanged }: { holder: RoleHolder; emptyText: string; revokeWarning: (role: string) => string; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const isAdmin = useCan(ADMIN);
  const notAdmin = isAdmin ? undefined : forbiddenReason(ADMIN);
  const roles = useQuery(trpc.roles.list.queryOptions(undefined, { enabled: isAdmin }));
  const assign = useMutation(trpc.roles.assign.mutationOptions());
  const revoke = useMutation(trpc.roles.revoke.mutationOptions());
  const { errors, fail, set, clear } = useFormErrors(FIELDS);
  const [role, setRole] = useState("");
  const [revoking, setRevoking] = useState<string>();

  // Everything that shows a role or a key of this user (and maybe of the caller) is stale after a change.
  const refresh = () =>
    Promise.all([
      onChanged(),
      qc.invalidateQueries({ queryKey: trpc.roles.assignments.queryKey() }),
      qc.invalidateQueries({ queryKey: trpc.permissions.of.queryKey() }),
      qc.invalidateQueries({ queryKey: trpc.permissions.explain.queryKey() }),
      qc.invalidateQueries({ queryKey: trpc.permissions.mine.queryKey() }),
    ]);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    clear();
    if (!role) return set("role", "Choose a role to assign.");
    try {
      await assign.mutateAsync({ userId: holder.id, role });
      toast.success(`Role ${role} assigned to ${holder.label}.`);
      setRole("");
      await refresh();
    } catch (err) {
      fail(err);
    }
  }

  const assignable = (roles.data ?? []).map((r) => r.name).filter((name) => !holder.roles.includes(name));
  return (
    <section aria-label="Assigned roles" className="space-y-3">
      <h3 className="font-semibold">Assigned roles</h3>
      {holder.roles.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">{emptyText}</p>
      ) : (
        <ul className="space-y-1 text-sm">
          {holder.roles.map((r) => (
            <li key={r} data-testid={`assigned-role-${r}`} className="flex items-center justify-between gap-3 rounded-md border border-slate-200 px-3 py-1.5 dark:border-slate-700">
              <span className="font-mono">{r}</span>
              <Button variant="secondary" aria-label={`Revoke ${r} from ${holder.label}`} disabledReason={notAdmin} onClick={() => setRevoking(r)}>
                Revoke
              </Button>
            </li>
          ))}
        </ul>
      )}
      {isAdmin ? (
        <form noValidate onSubmit={submit} aria-label={`Assign a role to ${holder.label}`} className="flex flex-wrap items-end gap-3">
          <div className="w-56 max-w-full">
            <FormField
              kind="select"
              label="Role to assign"
              value={role}
              onChange={(e) => {
                setRole(e.target.value);
                clear("role");
              }}
              placeholder={roles.isPending ? "Loading roles…" : assignable.length ? "Choose…" : "Every role is assigned"}
              options={assignable.map((name) => ({ value: name, label: name }))}
              error={errors.fields.role ?? (roles.isError ? errorSentence(roles.error) : undefined)}
            />
          </div>
          <Button type="submit" disabled={assign.isPending}>
            Assign
          </Button>
        </form>
      ) : (
        <p className="text-sm text-slate-600 dark:text-slate-400">Assigning and revoking roles requires the admin role.</p>
      )}
      <FormError>{errors.form}</FormError>

      <ConfirmDialog
        open={revoking !== undefined}
        title="Revoke role?"
        confirmLabel="Revoke"
        onCancel={() => setRevoking(undefined)}
        onConfirm={async () => {
          const r = revoking ?? "";
          setRevoking(undefined);
          try {
            await revoke.mutateAsync({ userId: holder.id, role: r });
            toast.success(`Role ${r} revoked from ${holder.label}.`);
            await refresh();
          } catch (err) {
            toast.error(err, `Could not revoke ${r}`);
          }
        }}
      >
        {revokeWarning(revoking ?? "")}
      </ConfirmDialog>
    </section>
  );
}
