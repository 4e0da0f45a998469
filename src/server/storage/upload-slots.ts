import pLimit from "p-limit";
import type pg from "pg";
import { withTransaction } from "../db/queryable.ts";

/**
 * Uploads that hold a database connection at once in this Core process. An upload keeps its transaction (and so
 * one of the pool's 20 connections) open for as long as its client takes to send the body, up to Node's 300 s
 * request timeout: without a bound, a few dozen slow or stalled uploads would starve every other request. Later
 * uploads wait here before reading their body (TCP holds the client back meanwhile).
 */
export const UPLOAD_SLOTS = 8;
const slots = pLimit(UPLOAD_SLOTS);

/** `withTransaction` for a streamed upload, within the process's upload slots. */
export function withUploadTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return slots(() => withTransaction(pool, fn));
}
