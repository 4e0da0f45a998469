"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { errorSentence } from "../../components/api-error.ts";
import { Button } from "../../components/button.tsx";
import { ConfirmDialog } from "../../components/confirm-dialog.tsx";
import { forbiddenReason, useCan } from "../../components/permissions.tsx";
import { useToast } from "../../components/toast.tsx";
import { useTRPC } from "../../trpc.ts";
import { INSTALL } from "../app-permissions.ts";

const records = (n: number) => `${n} record${n === 1 ? "" : "s"}`;

/**
 * Uninstalling drops the app's schema and every record in it, so the person types the app id first and is told
 * how many records go with it.
 */
export function UninstallApp({ appId }: { appId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const toast = useToast();
  const mayUninstall = useCan(INSTALL);
  const uninstall = useMutation(trpc.apps.uninstall.mutationOptions());
  const [confirming, setConfirming] = useState(false);

  async function run() {
    try {
      await uninstall.mutateAsync({ id: appId });
      setConfirming(false);
      toast.success(`App ${appId} uninstalled.`);
      await qc.invalidateQueries(trpc.apps.pathFilter());
      router.push("/applications");
    } catch (err) {
      setConfirming(false);
      toast.error(err, `Uninstalling ${appId} failed`);
    }
  }

  return (
    <>
      <Button variant="danger" disabledReason={mayUninstall ? undefined : forbiddenReason(INSTALL)} onClick={() => setConfirming(true)}>
        Uninstall
      </Button>
      <ConfirmDialog open={confirming} title={`Uninstall ${appId}?`} confirmLabel="Uninstall app" typeToConfirm={appId} onConfirm={run} onCancel={() => setConfirming(false)}>
        {confirming && <RecordCount appId={appId} />}
      </ConfirmDialog>
    </>
  );
}

/**
 * What the uninstall loses, counted by the server: verifying the app with no entities lists each table it
 * would drop with its row count (read-only, and past row-level security for whoever may uninstall).
 */
function RecordCount({ appId }: { appId: string }) {
  const trpc = useTRPC();
  const app = useQuery(trpc.apps.get.queryOptions({ id: appId }));
  const verify = useMutation(trpc.apps.verify.mutationOptions());
  const manifest = app.data?.manifest;
  const { mutate } = verify;
  useEffect(() => {
    if (manifest) mutate({ ...manifest, dataContract: [] });
  }, [manifest, mutate]);

  const drops = verify.data?.changes.filter((c) => c.change_type === "drop_table") ?? [];
  const total = drops.every((c) => typeof c.affectedRows === "number") ? drops.reduce((n, c) => n + (c.affectedRows ?? 0), 0) : undefined;
  return (
    <div className="space-y-2">
      <p>This drops the schema {appId} with every table, record and role the app installed. It cannot be undone.</p>
      <p data-testid="uninstall-record-count" className="font-semibold text-red-800 dark:text-red-300">
        {verify.isError
          ? `The records could not be counted: ${errorSentence(verify.error)}`
          : !verify.data
            ? "Counting its records…"
            : total === undefined
              ? `It holds records in ${drops.length} table(s).`
              : total === 0
                ? "It holds no records."
                : `It holds ${records(total)}${drops.length > 1 ? ` in ${drops.length} entities` : ""}, which will be deleted.`}
      </p>
    </div>
  );
}
