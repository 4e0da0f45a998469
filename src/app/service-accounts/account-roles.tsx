"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { errorSentence } from "../components/api-error.ts";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { ADMIN, forbiddenReason, useCan } from "../components/permissions.tsx";
import { useToast } from "../components/toast.tsx";
import { useFormErrors } from "../components/use-form-errors.ts";
import { useTRPC } from "../trpc.ts";
import type { AccountDetails } from "./types.ts";

const FIELDS = ["role"] as const;

/**
 * The account's roles, assigned and revoked through the same roles API as a person's. Changing roles is the
 * admin's (`*`): a holder of only the service-accounts key sees them with the buttons disabled, saying why.
 */
export function AccountRoles({ account, onChanged }: { account: AccountDetails; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const isAdmin = useCan(ADMIN);
  const roles = useQuery(trpc.roles.list.queryOptions(undefined, { enabled: isAdmin }));
  const assign = useMutation(trpc.roles.assign.mutationOptions());
  const revoke = useMutation(trpc.roles.revoke.mutationOptions());
  const { errors, fail, set, clear } = useFormErrors(FIELDS);
  const [role, setRole] = useState("");
  const [revoking, setRevoking] = useState<string>();
  const notAdmin = isAdmin ? undefined : forbiddenReason(ADMIN);

  const refresh = () => Promise.all([onChanged(), qc.invalidateQueries({ queryKey: trpc.roles.assignments.queryKey() })]);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    clear();
    if (!role) return set("role", "Choose a role to assign.");
    try {
      await assign.mutateAsync({ userId: account.id, role });
      toast.success(`Role ${role} assigned to ${account.slug}.`);
      setRole("");
      await refresh();
    } catch (err) {
      fail(err);
    }
  }

  const assignable = (roles.data ?? []).map((r) => r.name).filter((name) => !account.roles.includes(name));
  return (
    <section aria-labelledby="sa-roles-heading" className="space-y-3">
      <h3 id="sa-roles-heading" className="font-semibold">
        Roles
      </h3>
      {account.roles.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">No role assigned: this account may do nothing yet.</p>
      ) : (
        <ul className="space-y-1 text-sm">
          {account.roles.map((r) => (
            <li key={r} data-testid={`sa-role-${r}`} className="flex items-center justify-between gap-3 rounded-md border border-slate-200 px-3 py-1.5 dark:border-slate-700">
              <span className="font-mono">{r}</span>
              <Button variant="secondary" aria-label={`Revoke ${r} from ${account.slug}`} disabledReason={notAdmin} onClick={() => setRevoking(r)}>
                Revoke
              </Button>
            </li>
          ))}
        </ul>
      )}
      {isAdmin ? (
        <form noValidate onSubmit={submit} aria-label={`Assign a role to ${account.slug}`} className="flex flex-wrap items-end gap-3">
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
            await revoke.mutateAsync({ userId: account.id, role: r });
            toast.success(`Role ${r} revoked from ${account.slug}.`);
            await refresh();
          } catch (err) {
            toast.error(err, `Could not revoke ${r}`);
          }
        }}
      >
        {`${account.slug}'s keys lose the permissions of ${revoking ?? ""} on their next request.`}
      </ConfirmDialog>
    </section>
  );
}
