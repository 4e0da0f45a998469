"use client";
import Link from "next/link";
import { usePermissions } from "../components/permissions.tsx";
import { DEPLOY, logsReadKey, WORKERS_LIST } from "./worker-permissions.ts";

/** The Studio's link look (as in the apps list), centred beside the header's buttons. */
const LINK = "self-center text-sm font-medium text-brand-600 hover:underline dark:text-indigo-300";

/**
 * From an app's page to its backend: its live logs and the workers panel, each shown only to a caller the Core
 * lets in (a link that answers 403 is a dead end).
 */
export function AppBackendLinks({ appId }: { appId: string }) {
  const { can } = usePermissions();
  return (
    <>
      {(can(DEPLOY) || can(logsReadKey(appId))) && (
        <Link href={`/workers/${appId}/logs`} className={LINK}>
          Logs
        </Link>
      )}
      {can(WORKERS_LIST) && (
        <Link href="/workers" className={LINK}>
          Workers
        </Link>
      )}
    </>
  );
}
