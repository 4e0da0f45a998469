import type { Principal } from "../../auth/principal.ts";
import type { Core } from "../../core.ts";
import { CoreError } from "../../errors.ts";
import { holdsPermission } from "../../governance/permissions.ts";

/**
 * What a caller does to a bucket. `read`: list, download, breadcrumbs, signed links; `write`: create folders,
 * upload, rename, move; `delete`: delete objects; `admin`: create and delete the bucket itself.
 */
export const STORAGE_ACTIONS = ["read", "write", "delete", "admin"] as const;
export type StorageAction = (typeof STORAGE_ACTIONS)[number];

/** The keys that grant `action` on `bucket` (spec §2.11): the platform-wide one or the bucket's own. */
export const storageKeys = (bucket: string, action: StorageAction): [string, string] => [`storage:${action}`, `storage:${bucket}:${action}`];

/** Whether the caller may do `action` in `bucket`; `storage:*`, `storage:{bucket}:*` and `*` grant through the usual matching. */
export async function mayInBucket(core: Core, principal: Principal, bucket: string, action: StorageAction): Promise<boolean> {
  const held = await core.auth.principals.permissions(principal.userId);
  return storageKeys(bucket, action).some((key) => holdsPermission(held, key));
}

/** 403 naming both keys that would grant it, unless the caller holds one. */
export async function requireInBucket(core: Core, principal: Principal, bucket: string, action: StorageAction): Promise<void> {
  if (await mayInBucket(core, principal, bucket, action)) return;
  const [platform, own] = storageKeys(bucket, action);
  throw new CoreError("FORBIDDEN", `permission required: ${own} or ${platform}`);
}
