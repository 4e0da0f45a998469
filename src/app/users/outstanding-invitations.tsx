"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { errorSentence } from "../components/api-error.ts";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { DataTable, type Column } from "../components/data-table.tsx";
import { FormError } from "../components/form-field.tsx";
import { useToast } from "../components/toast.tsx";
import { useTRPC } from "../trpc.ts";

interface Outstanding {
  id: string;
  email: string;
  roles: string[];
  madeBy: { id: string; email: string | null } | null;
  selfService: boolean;
  expiresAt: string;
}

const maker = (l: Outstanding) => (l.selfService ? "self-service" : (l.madeBy?.email ?? "deleted account"));

const COLUMNS: Column<Outstanding>[] = [
  { key: "email", header: "For", hideable: false, cell: (l) => l.email },
  { key: "roles", header: "Roles", cell: (l) => l.roles.join(", ") || "—" },
  { key: "maker", header: "Made by", cell: maker },
  { key: "expires", header: "Expires", cell: (l) => <span className="text-slate-600 dark:text-slate-400">{new Date(l.expiresAt).toLocaleString()}</span> },
];

/**
 * Sign-in links not yet used: an administrator sees all, an inviter those it made; either can withdraw one
 * before it is used (the Core refuses anyone else). The token is never listed; the Core does not keep it.
 */
export function OutstandingInvitations() {
  const trpc = useTRPC();
  const toast = useToast();
  const links = useQuery(trpc.magicLink.outstanding.queryOptions());
  const revoke = useMutation(trpc.magicLink.revoke.mutationOptions());
  const [confirming, setConfirming] = useState<Outstanding>();

  async function confirmRevoke(link: Outstanding) {
    try {
      await revoke.mutateAsync({ id: link.id });
      toast.success(`The sign-in link for ${link.email} is revoked.`);
    } catch (err) {
      toast.error(err);
    } finally {
      setConfirming(undefined);
      await links.refetch();
    }
  }

  return (
    <section aria-labelledby="outstanding-invitations" className="space-y-2" data-testid="outstanding-invitations">
      <h2 id="outstanding-invitations" className="text-base font-semibold">
        Outstanding sign-in links
      </h2>
      {links.isError ? (
        <FormError>{errorSentence(links.error)}</FormError>
      ) : (
        <DataTable
          label="Outstanding sign-in links"
          columns={COLUMNS}
          rows={links.data}
          loading={links.isPending}
          rowKey={(l) => l.id}
          rowProps={(l) => ({ "data-testid": `invitation-row-${l.email}` })}
          actions={(l) => (
            <Button type="button" variant="danger" onClick={() => setConfirming(l)}>
              Revoke
            </Button>
          )}
          empty="No sign-in link is waiting to be used."
        />
      )}
      <ConfirmDialog
        open={confirming !== undefined}
        title="Revoke this sign-in link?"
        confirmLabel="Revoke"
        onConfirm={() => (confirming ? confirmRevoke(confirming) : undefined)}
        onCancel={() => setConfirming(undefined)}
      >
        {confirming ? `The link for ${confirming.email} stops working at once. You can make a new one later.` : null}
      </ConfirmDialog>
    </section>
  );
}
