import { z } from "zod";
import type { RestRoute } from "../http/types.ts";
import * as service from "./audit-service.ts";

export const archiveInput = z.object({
  before: z.iso.datetime({ offset: true, message: "before must be an ISO 8601 date-time" }).transform((s) => new Date(s)),
});

export const auditRoutes: RestRoute[] = [
  { method: "GET", path: "/audit", handler: async ({ core, principal, query }) => ({ body: await service.listAudit(core, await principal(), query) }) },
  { method: "GET", path: "/audit/archive", handler: async ({ core, principal }) => ({ body: await service.archiveStatus(core, await principal()) }) },
  { method: "GET", path: "/audit/verify", handler: async ({ core, principal }) => ({ body: await service.verifyAudit(core, await principal()) }) },
  {
    method: "POST",
    path: "/audit/archive",
    handler: async ({ core, principal, body }) => {
      const result = await service.archiveAudit(core, await principal(), archiveInput.parse(body).before);
      return { body: { removed: result.removed, through_id: result.throughId, archive_file: result.archiveFile && result.archiveFile.split("/").pop() } };
    },
  },
];
