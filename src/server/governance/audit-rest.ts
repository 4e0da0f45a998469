import { z } from "zod";
import { defineRoute } from "../http/define-route.ts";
import type { RestRoute } from "../http/types.ts";
import { archiveStatus } from "./archive-status.ts";
import { auditRowDto, chainReportDto } from "./audit-dto.ts";
import * as service from "./audit-service.ts";

export const archiveInput = z.object({
  before: z.iso.datetime({ offset: true, message: "before must be an ISO 8601 date-time" }).transform((s) => new Date(s)),
});

const tags = ["audit"];

export const auditRoutes: RestRoute[] = [
  defineRoute({
    method: "GET",
    path: "/audit",
    docs: {
      summary: "Audit log rows, newest first (admin:audit.read)",
      description:
        "Filters: `field`, `field__neq`, `field__contains`, `field__gte`, `field__lte` over table_schema (app_id), table_name (entity), record_id (target), operation (action), changed_at, actor_uid (actor), trigger_ref; cursor `before=<id>`; `limit` (100, at most 1000); `order_by` (id, changed_at, table_schema, table_name, operation) and `order` (asc, desc). Read after the permission check, so the caller's rights are checked first.",
      tags,
      responses: { 200: z.array(auditRowDto) },
    },
    handler: async ({ core, principal, query }) => ({ body: await service.listAudit(core, await principal(), query) }),
  }),
  defineRoute({
    method: "GET",
    path: "/audit/archive",
    docs: { summary: "The retention setting and the last archive run", tags, responses: { 200: archiveStatus } },
    handler: async ({ core, principal }) => ({ body: await service.archiveStatus(core, await principal()) }),
  }),
  defineRoute({
    method: "GET",
    path: "/audit/verify",
    docs: { summary: "Check the audit log's hash chain", tags, responses: { 200: chainReportDto } },
    handler: async ({ core, principal }) => ({ body: await service.verifyAudit(core, await principal()) }),
  }),
  defineRoute({
    method: "POST",
    path: "/audit/archive",
    schemas: { body: archiveInput },
    docs: {
      summary: "Move audit rows older than `before` to an archive file (admin)",
      tags,
      responses: { 200: z.object({ removed: z.number().int(), through_id: z.string().nullable(), archive_file: z.string().nullable().optional() }) },
    },
    handler: async ({ core, principal, input }) => {
      const result = await service.archiveAudit(core, await principal(), input.body.before);
      return { body: { removed: result.removed, through_id: result.throughId, archive_file: result.archiveFile && result.archiveFile.split("/").pop() } };
    },
  }),
];
