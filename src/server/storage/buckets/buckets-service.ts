import type { Principal } from "../../auth/principal.ts";
import type { Core } from "../../core.ts";
import { CoreError } from "../../errors.ts";
import { withActor } from "../../governance/actor.ts";
import { recordAdminEvent } from "../../governance/admin-events.ts";
import { holdsPermission } from "../../governance/permissions.ts";
import { requireInBucket, storageKeys } from "./access.ts";
import * as sql from "./buckets-sql.ts";
import { DEFAULT_BUCKET } from "./names.ts";
import type { BucketDto, CreateBucketInput } from "./schema.ts";

/** The buckets the caller may read (by `storage:read` or the bucket's own key), and every public one. */
export async function listBuckets(core: Core, principal: Principal): Promise<BucketDto[]> {
  const held = await core.auth.principals.permissions(principal.userId);
  const all = await sql.listBuckets(core.db.pool);
  return all.filter((b) => b.public || storageKeys(b.name, "read").some((key) => holdsPermission(held, key)));
}

/** Creates a bucket (storage:admin, or storage:{name}:admin given ahead of time); 409 when the name is taken. */
export async function createBucket(core: Core, principal: Principal, input: CreateBucketInput): Promise<BucketDto> {
  await requireInBucket(core, principal, input.name, "admin");
  const created = await withActor(core, principal, async (tx) => {
    const bucket = await sql.insertBucket(tx, input);
    if (!bucket) throw new CoreError("CONFLICT", `bucket ${input.name} already exists`);
    await recordAdminEvent(tx, { action: "bucket.create", target: bucket.name, after: { public: bucket.public, max_file_size: bucket.max_file_size, allowed_types: bucket.allowed_types } });
    return bucket;
  });
  core.log.info({ by: principal.userId, bucket: created.name }, "storage bucket created");
  return created;
}

/** Deletes an empty bucket (storage:admin or its own admin key); `default` stays; a bucket with objects is 409. */
export async function deleteBucket(core: Core, principal: Principal, name: string): Promise<{ deleted: true }> {
  await requireInBucket(core, principal, name, "admin");
  if (name === DEFAULT_BUCKET) throw new CoreError("BAD_REQUEST", "the bucket default cannot be deleted");
  await withActor(core, principal, async (tx) => {
    // FOR UPDATE waits for creations whose rows are already inserted (their foreign-key checks hold KEY SHARE on
    // the bucket), so the emptiness check below sees them; a creation inserting later fails its foreign key.
    const bucket = await sql.getBucket(tx, name, "delete");
    if (!bucket) throw new CoreError("NOT_FOUND", `bucket ${name} not found`);
    if (!(await sql.bucketIsEmpty(tx, name))) throw new CoreError("CONFLICT", `bucket ${name} is not empty; delete its objects first`);
    await sql.deleteBucket(tx, name);
    await recordAdminEvent(tx, { action: "bucket.delete", target: name, before: { public: bucket.public, max_file_size: bucket.max_file_size, allowed_types: bucket.allowed_types } });
  });
  core.log.info({ by: principal.userId, bucket: name }, "storage bucket deleted");
  return { deleted: true };
}
