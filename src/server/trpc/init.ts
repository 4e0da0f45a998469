import type { IncomingMessage, ServerResponse } from "node:http";
import { initTRPC, TRPCError } from "@trpc/server";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError, ERROR_TABLE, toCoreError } from "../errors.ts";
import { inputProblem } from "./input-screen.ts";

export interface TrpcContext {
  core: Core;
  requestId: string;
  ip: string;
  userAgent: string | null;
  req: IncomingMessage;
  res: ServerResponse;
  /** The caller, from its bearer token; rejects with UNAUTHORIZED when there is none or it is no longer valid. */
  authenticate(): Promise<Principal>;
}

const t = initTRPC.context<TrpcContext>().create({
  errorFormatter({ shape, error }) {
    // Same messages as the REST layer: internal details stay in the log, never in the response.
    const core = error.cause instanceof CoreError ? error.cause : undefined;
    const message = error.code === "INTERNAL_SERVER_ERROR" && !core ? "internal error" : shape.message;
    return { ...shape, message, data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, ...core?.details } };
  },
});

/** Every service error reaches tRPC clients with the code of the one error table. */
const coreErrors = t.middleware(async ({ next, ctx, path }) => {
  const result = await next();
  // tRPC wraps anything that is not a TRPCError as INTERNAL_SERVER_ERROR; unwrap it through the error table.
  if (!result.ok && result.error.code === "INTERNAL_SERVER_ERROR") {
    const mapped = toCoreError(result.error.cause ?? result.error);
    if (mapped.code === "INTERNAL") ctx.core.log.error({ err: result.error.cause, path, requestId: ctx.requestId }, "procedure failed");
    throw new TRPCError({ code: ERROR_TABLE[mapped.code].trpc, message: mapped.message, cause: mapped });
  }
  return result;
});

/** Input that JSON.parse changed on its way in is refused, as the REST layer refuses it, never acted on. */
const screenedInput = t.middleware(async ({ ctx, next }) => {
  const problem = inputProblem(ctx.req);
  if (problem) throw new TRPCError({ code: "BAD_REQUEST", message: problem });
  return next();
});

export const router = t.router;
export const publicProcedure = t.procedure.use(coreErrors).use(screenedInput);
/** Procedures for any signed-in user; services still decide what that user may do. */
export const authedProcedure = publicProcedure.use(async ({ ctx, next }) => next({ ctx: { principal: await ctx.authenticate() } }));
export const createCallerFactory = t.createCallerFactory;
