"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { errorSentence } from "../components/api-error.ts";
import { Badge } from "../components/badge.tsx";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { DataTable, type Column } from "../components/data-table.tsx";
import { FormError } from "../components/form-field.tsx";
import { forbiddenReason, useCan } from "../components/permissions.tsx";
import { useToast } from "../components/toast.tsx";
import { useTRPC } from "../trpc.ts";
import { formatBytes } from "./format.ts";
import { DEPLOY } from "./worker-permissions.ts";
import type { AppRouter } from "../../client/index.ts";
import type { inferRouterOutputs } from "@trpc/server";

type DeployRecord = inferRouterOutputs<AppRouter>["workers"]["deployHistory"][number];

const when = (iso: string) => (iso ? new Date(iso).toLocaleString() : "—");

const COLUMNS: Column<DeployRecord>[] = [
  {
    key: "deployedAt",
    header: "Deployed",
    hideable: false,
    cell: (d) => (
      <span className="flex flex-wrap items-center gap-2">
        <time dateTime={d.deployedAt}>{when(d.deployedAt)}</time>
        {d.current && <Badge tone="success">current</Badge>}
      </span>
    ),
  },
  { key: "by", header: "By", cell: (d) => d.deployedBy },
  { key: "size", header: "Size", cell: (d) => formatBytes(d.size) },
  { key: "migrations", header: "Migrations", cell: (d) => <span className="font-mono break-words">{d.migrationsApplied.join(", ") || "—"}</span> },
];

/** The kept deploys of an app, newest first, and going back to the one before the current. */
export function DeployHistory({ appId }: { appId: string }) {
  const mayDeploy = useCan(DEPLOY);
  const qc = useQueryClient();
  const trpc = useTRPC();
  const toast = useToast();
  const headingId = useId();
  const history = useQuery(trpc.workers.deployHistory.queryOptions({ appId }, { enabled: mayDeploy }));
  const rollbackTo = useMutation(trpc.workers.rollback.mutationOptions());
  const [confirming, setConfirming] = useState(false);

  const rows = history.data;
  const currentAt = rows?.findIndex((d) => d.current) ?? -1;
  // Rollback returns to the deploy just before the live one.
  const previous = rows && currentAt >= 0 ? rows[currentAt + 1] : undefined;
  const reason = !mayDeploy ? forbiddenReason(DEPLOY) : !previous ? "There is no earlier deploy to return to." : undefined;

  async function rollback() {
    try {
      await rollbackTo.mutateAsync({ appId });
      setConfirming(false);
      toast.success(`Rolled ${appId} back to the deploy of ${when(previous?.deployedAt ?? "")}.`);
    } catch (err) {
      setConfirming(false);
      toast.error(err, `Rolling ${appId} back failed`);
    } finally {
      // States, details and this history are all under the workers router.
      await qc.invalidateQueries(trpc.workers.pathFilter());
    }
  }

  return (
    <section aria-labelledby={headingId} className="min-w-0 space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h3 id={headingId} className="text-base font-semibold">
          Deploy history
        </h3>
        <Button type="button" variant="secondary" disabledReason={reason} onClick={() => setConfirming(true)}>
          Roll back
        </Button>
      </div>
      {history.isError ? (
        <FormError>{errorSentence(history.error)}</FormError>
      ) : (
        <DataTable
          label={`Deploys of ${appId}`}
          columns={COLUMNS}
          rows={mayDeploy ? rows : []}
          loading={mayDeploy && history.isPending}
          rowKey={(d) => d.id}
          rowProps={(d) => ({ "data-testid": "deploy-row", "data-current": String(d.current) })}
          empty={mayDeploy ? "No deploy yet." : `Reading the deploy history requires the permission ${DEPLOY}.`}
        />
      )}
      <ConfirmDialog
        open={confirming}
        title={`Roll ${appId} back?`}
        confirmLabel="Roll back"
        onConfirm={rollback}
        onCancel={() => setConfirming(false)}
      >
        <p>
          The app returns to the code deployed {when(previous?.deployedAt ?? "")}
          {previous ? ` by ${previous.deployedBy}` : ""} and its workers restart. Migrations already applied stay applied.
        </p>
      </ConfirmDialog>
    </section>
  );
}
