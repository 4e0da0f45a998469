import { z } from "zod";

/** One audit log row as GET /audit and the tRPC `audit.list` answer it. */
export const auditRowDto = z.object({
  id: z.string(),
  table_schema: z.string(),
  table_name: z.string(),
  record_id: z.string().nullable(),
  operation: z.string(),
  old_record: z.unknown(),
  new_record: z.unknown(),
  actor_uid: z.string().nullable(),
  delegator_uid: z.string().nullable(),
  trigger_ref: z.string().nullable(),
  changed_at: z.string(),
  prev_hash: z.string(),
  hash: z.string(),
});

/** The hash chain check: how many rows were checked and the first that does not hold. */
export const chainReportDto = z.object({ ok: z.boolean(), checked: z.number(), firstBroken: z.object({ id: z.string(), reason: z.string() }).optional() });
