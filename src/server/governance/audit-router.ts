import { z } from "zod";
import { authedProcedure, router } from "../trpc/init.ts";
import { archiveStatus } from "./archive-status.ts";
import { archiveInput } from "./audit-rest.ts";
import { auditRowDto, chainReportDto } from "./audit-dto.ts";
import * as service from "./audit-service.ts";

export const auditRouter = router({
  /** The same query language as GET /audit, as a flat map of its parameters. */
  list: authedProcedure
    .input(z.record(z.string(), z.string()).default({}))
    .output(z.array(auditRowDto))
    .query(({ ctx, input }) => service.listAudit(ctx.core, ctx.principal, new URLSearchParams(input))),
  verify: authedProcedure.output(chainReportDto).query(({ ctx }) => service.verifyAudit(ctx.core, ctx.principal)),
  archiveStatus: authedProcedure.output(archiveStatus).query(({ ctx }) => service.archiveStatus(ctx.core, ctx.principal)),
  archive: authedProcedure.input(archiveInput).mutation(async ({ ctx, input }) => {
    const r = await service.archiveAudit(ctx.core, ctx.principal, input.before);
    return { removed: r.removed, throughId: r.throughId };
  }),
});
