import pLimit from "p-limit";
import type pg from "pg";
import { withTransaction } from "../db/queryable.ts";
import { CoreError } from "../errors.ts";

/**
 * Uploads that hold a database connection at once in this Core process. An upload keeps its transaction (and so
 * one of the pool's 20 connections) open for as long as its client takes to send the body (bounded by the idle
 * timeout, ROOTCX_UPLOAD_IDLE_TIMEOUT_MS): without a bound, a few dozen slow or stalled uploads would starve every
 * other request. Later uploads wait here before reading their body (TCP holds the client back meanwhile).
 */
export const UPLOAD_SLOTS = 8;

/**
 * Uploads one uploader may have in progress or waiting at once, so that one user (or one worker's user) cannot
 * take every slot and block everyone else's uploads. Like the slots, it guards this process's own pool, so it is
 * counted in this process.
 */
export const UPLOADS_PER_UPLOADER = 3;

/** Seconds a refused uploader is told to wait: about how long a stalled upload of theirs takes to time out. */
const RETRY_AFTER_SECONDS = 5;

const slots = pLimit(UPLOAD_SLOTS);
const inProgress = new Map<string, number>();

/**
 * `withTransaction` for a streamed upload, within the process's upload slots and the uploader's share of them.
 * `uploader` names who the upload counts against ("user:<id>", or "app:<id>" for an app's own backend); one
 * more than UPLOADS_PER_UPLOADER is refused with 429 before its body is read.
 */
export function withUploadTransaction<T>(pool: pg.Pool, uploader: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const held = inProgress.get(uploader) ?? 0;
  if (held >= UPLOADS_PER_UPLOADER) {
    return Promise.reject(
      new CoreError("TOO_MANY_REQUESTS", `too many uploads at once: at most ${UPLOADS_PER_UPLOADER} per caller may be in progress; wait for one to finish`, {
        headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
      }),
    );
  }
  inProgress.set(uploader, held + 1);
  return slots(() => withTransaction(pool, fn)).finally(() => {
    const left = (inProgress.get(uploader) ?? 1) - 1;
    if (left > 0) inProgress.set(uploader, left);
    else inProgress.delete(uploader);
  });
}
