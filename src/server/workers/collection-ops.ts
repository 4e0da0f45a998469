import { z } from "zod";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { createRecord, entityOf, listRecords, updateRecord, type DataActor } from "../data/service.ts";
import { MAX_RESULT_BYTES } from "./sql-run.ts";

export const COLLECTION_OPS = ["insert", "update", "find", "findOne", "list"] as const;
export type CollectionOp = (typeof COLLECTION_OPS)[number];

/**
 * An equality map (find, findOne, list) or a row (insert, update): a plain JSON object, passed through as
 * parsed (z.record would copy keys by assignment, and an own "__proto__" key would vanish, not be refused).
 */
const objectData = z.custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype);

/** The answer as the worker receives it, refused when it would not fit one IPC line. */
function parsed(json: string): unknown {
  if (Buffer.byteLength(json, "utf8") > MAX_RESULT_BYTES) {
    throw new CoreError("BAD_REQUEST", `result too large: more than ${MAX_RESULT_BYTES / 1024} KiB; narrow the filter`);
  }
  return JSON.parse(json);
}

/**
 * `ctx.collection(entity).…` (spec §4.2 collection_op) on the Data API's own SQL and value checks, as the
 * worker's actor. Unlike the original, insert and update keep the Data API's rules: the Core sets id,
 * created_at and updated_at (a worker cannot forge them) and update moves updated_at.
 */
export async function collectionOp(core: Core, appId: string, actor: DataActor, op: CollectionOp, entityName: string, data: unknown): Promise<unknown> {
  const entity = await entityOf(core, appId, entityName);
  const input = data === undefined || data === null ? {} : data;
  const fields = objectData.safeParse(input);
  if (!fields.success) throw new CoreError("BAD_REQUEST", `collection ${op}: data must be an object`);
  const map = fields.data;
  switch (op) {
    case "insert":
      return parsed((await createRecord(core, actor, entity, map)).json);
    case "update": {
      const { id, ...patch } = map;
      if (typeof id !== "string") throw new CoreError("BAD_REQUEST", "collection update: data.id is required (the record's id)");
      return parsed((await updateRecord(core, actor, entity, id, patch)).json);
    }
    case "find":
    case "list":
      return parsed((await listRecords(core, actor, entity, { filters: map })).json);
    case "findOne": {
      const rows = parsed((await listRecords(core, actor, entity, { filters: map, limit: 1 })).json) as unknown[];
      return rows[0] ?? null;
    }
  }
}
