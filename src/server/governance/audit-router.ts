import { z } from "zod";
import { authedProcedure, router } from "../trpc/init.ts";
import { archiveStatus } from "./archive-status.ts";
import { archiveInput } from "./audit-rest.ts";
import * as service from "./audit-service.ts";

const auditRow = z.object({
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

export const auditRouter = router({
  /** The same query language as GET /audit, as a flat map of its parameters. */
  list: authedProcedure
    .input(z.record(z.string(), z.string()).default({}))
    .output(z.array(auditRow))
    .query(({ ctx, input }) => service.listAudit(ctx.core, ctx.principal, new URLSearchParams(input))),
  verify: authedProcedure
    .output(z.object({ ok: z.boolean(), checked: z.number(), firstBroken: z.object({ id: z.string(), reason: z.string() }).optional() }))
    .query(({ ctx }) => service.verifyAudit(ctx.core, ctx.principal)),
  archiveStatus: authedProcedure.output(archiveStatus).query(({ ctx }) => service.archiveStatus(ctx.core, ctx.principal)),
  archive: authedProcedure.input(archiveInput).mutation(async ({ ctx, input }) => {
    const r = await service.archiveAudit(ctx.core, ctx.principal, input.before);
    return { removed: r.removed, throughId: r.throughId };
  }),
});
