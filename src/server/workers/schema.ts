import { z } from "zod";
import { appIdSchema } from "../apps/manifest.ts";
import { CoreError } from "../errors.ts";

export { appIdSchema };

/** `POST /apps/:appId/rpc` body (spec §2.5): the method, its params (any JSON, `{}` when absent), an optional id. */
export const rpcBody = z.object(
  {
    method: z.string({ error: "method must be a string" }).min(1, "method must not be empty").max(200, "method must be at most 200 characters"),
    params: z.unknown().optional(),
    id: z.union([z.string().max(200), z.number()]).optional(),
  },
  { error: "the body must be a JSON object {method, params?, id?}" },
);
export type RpcBody = z.infer<typeof rpcBody>;

/** What a body without a method is told: the shape of a call, rather than zod's "method: method must be a string". */
export const NEEDS_METHOD = 'the body needs a method: {"method": "…", "params": {…}}';

/** Parses an RPC body; an empty body or an object without `method` gets NEEDS_METHOD. */
export function parseRpcBody(body: unknown): RpcBody {
  const missing = body === undefined || body === null || (typeof body === "object" && !Array.isArray(body) && (body as { method?: unknown }).method === undefined);
  if (missing) throw new CoreError("BAD_REQUEST", NEEDS_METHOD);
  return rpcBody.parse(body);
}

/** `?detail=true` on GET /workers; any other spelling is refused rather than read as false. */
export const detailFlag = z
  .enum(["true", "false"], { error: 'detail must be "true" or "false"' })
  .optional()
  .transform((v) => v === "true");

/**
 * The manifest's `public.rpcs` (spec §3): `[{name, scope?}]`; a bare string is read as a name. Anything else in
 * `public` is ignored here, so a malformed section never opens a method.
 */
export const publicSection = z
  .object({
    rpcs: z.array(z.union([z.string(), z.object({ name: z.string(), scope: z.array(z.string()).optional() })])).optional(),
  })
  .optional()
  .catch(undefined);

const state = z.enum(["starting", "running", "stopping", "stopped", "crashed"]);
export const workerDetail = z.object({
  identity: z.string(),
  state,
  pid: z.number().nullable(),
  startedAt: z.string().nullable(),
  uptimeMs: z.number().nullable(),
  restarts: z.number(),
  rssBytes: z.number().nullable(),
  cpuPercent: z.number().nullable(),
});
export const workersList = z.object({
  workers: z.record(z.string(), state),
  details: z.record(z.string(), z.array(workerDetail)).optional(),
});
export type WorkersList = z.infer<typeof workersList>;
