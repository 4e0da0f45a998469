"use client";
import { forbiddenReason, usePermissions } from "../components/permissions.tsx";

/**
 * Storage permissions: the Core grants an action on a bucket to a caller holding `storage:{action}` (every
 * bucket) or `storage:{bucket}:{action}` (that one). The page asks the same question before showing a control.
 */
export type StorageAction = "read" | "write" | "delete" | "admin";

/** The key for every bucket: what the nav entry and the buckets list need. */
export const STORAGE_READ = "storage:read";
/** Creating and deleting buckets. */
export const STORAGE_ADMIN = "storage:admin";

export interface StorageRights {
  /** False until the caller's keys are known; controls stay disabled meanwhile. */
  ready: boolean;
  can(action: StorageAction): boolean;
  /** Undefined when allowed, else the sentence a disabled control shows. */
  reason(action: StorageAction): string | undefined;
}

export function useStorageRights(bucket: string): StorageRights {
  const perms = usePermissions();
  const can = (action: StorageAction) => perms.can(`storage:${action}`) || perms.can(`storage:${bucket}:${action}`);
  return {
    ready: perms.ready,
    can,
    reason: (action) => {
      if (!perms.ready) return "Checking your permissions…";
      return can(action) ? undefined : forbiddenReason(`storage:${bucket}:${action}`);
    },
  };
}
