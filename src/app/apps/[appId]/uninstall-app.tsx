"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "../../trpc.ts";
import { Button, ErrorText, errorMessage } from "../../ui.tsx";

/** Uninstalling drops the app's schema and every record in it, so it asks once more first. */
export function UninstallApp({ appId }: { appId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const uninstall = useMutation(trpc.apps.uninstall.mutationOptions());
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string>();

  async function run() {
    setError(undefined);
    try {
      await uninstall.mutateAsync({ id: appId });
      await qc.invalidateQueries(trpc.apps.list.pathFilter());
      router.push("/apps");
    } catch (err) {
      setError(errorMessage(err));
      setConfirming(false);
    }
  }

  return (
    <div className="space-y-2">
      {confirming ? (
        <div className="flex items-center gap-2 text-sm">
          <span className="text-red-700">Drop {appId} and all its records?</span>
          <Button variant="danger" onClick={run} disabled={uninstall.isPending}>
            Confirm uninstall
          </Button>
          <Button variant="secondary" onClick={() => setConfirming(false)}>
            Cancel
          </Button>
        </div>
      ) : (
        <Button variant="danger" onClick={() => setConfirming(true)}>
          Uninstall
        </Button>
      )}
      <ErrorText>{error}</ErrorText>
    </div>
  );
}
