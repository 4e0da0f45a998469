import { z } from "zod";
import { authedProcedure, publicProcedure, router } from "../trpc/init.ts";
import { CoreError } from "../errors.ts";
import type { TrpcContext } from "../trpc/init.ts";
import { assertOwnOrigin } from "./cookie-origin.ts";
import { clearedRefreshCookie, readRefreshCookie, refreshCookie } from "./cookies.ts";
import * as schema from "./schema.ts";
import { assertPersonActs } from "../identities/no-escalation.ts";
import * as service from "./service.ts";

const secureCookies = (ctx: TrpcContext) => ctx.core.config.publicUrl.startsWith("https:");

/**
 * The refresh token comes from the input (programs) or from the Studio's HttpOnly cookie; the cookie is only
 * honoured on a call from the Studio's own origin.
 */
function refreshTokenOf(ctx: TrpcContext, input: { refreshToken?: string | undefined } | undefined): string {
  if (input?.refreshToken) return input.refreshToken;
  const token = readRefreshCookie(ctx.req.headers.cookie);
  if (!token) throw new CoreError("UNAUTHORIZED", "no session");
  assertOwnOrigin(ctx.req, ctx.core.config.publicUrl);
  return token;
}

const tokenInput = z.object({ refreshToken: z.string().min(1).max(4096).optional() }).optional();

export const authRouter = router({
  mode: publicProcedure.output(schema.authMode).query(({ ctx }) => service.mode(ctx.core)),
  register: publicProcedure
    .input(schema.registerInput)
    .output(z.object({ user: schema.userDto }))
    .mutation(async ({ ctx, input }) => {
      // Registration is public; a signed-in caller (an administrator adding someone) is the audit's actor.
      const creator = ctx.req.headers.authorization ? await ctx.authenticate().catch(() => null) : null;
      // A key must not give itself a person whose password it chose (sign-up closed lets only admins add people).
      if (creator) assertPersonActs(creator, "create a person's account with a password");
      const createdBy = creator?.userId ?? null;
      return { user: await service.register(ctx.core, input, { ip: ctx.ip, userAgent: ctx.userAgent, createdBy }) };
    }),
  /** With `cookie: true` (the Studio) the refresh token goes into the HttpOnly cookie instead of the answer. */
  login: publicProcedure
    .input(schema.loginInput.extend({ cookie: z.boolean().optional() }))
    .output(schema.loginResult.extend({ refreshToken: z.string().optional() }))
    .mutation(async ({ ctx, input }) => {
      // Another origin must not plant a session cookie (login CSRF) any more than read one.
      if (input.cookie) assertOwnOrigin(ctx.req, ctx.core.config.publicUrl);
      const result = await service.login(ctx.core, input, ctx);
      if (!input.cookie) return result;
      ctx.res.appendHeader("set-cookie", refreshCookie(result.refreshToken, secureCookies(ctx)));
      return { accessToken: result.accessToken, expiresIn: result.expiresIn, user: result.user };
    }),
  refresh: publicProcedure
    .input(tokenInput)
    .output(schema.refreshResult)
    .mutation(({ ctx, input }) => service.refresh(ctx.core, refreshTokenOf(ctx, input))),
  logout: publicProcedure.input(tokenInput).mutation(async ({ ctx, input }) => {
    const token = refreshTokenOf(ctx, input);
    if (!input?.refreshToken) ctx.res.appendHeader("set-cookie", clearedRefreshCookie(secureCookies(ctx)));
    return service.logout(ctx.core, token);
  }),
  me: authedProcedure.output(schema.userDto).query(({ ctx }) => service.me(ctx.principal)),
});

const userId = z.object({ userId: schema.uuid });

export const usersRouter = router({
  list: authedProcedure.output(z.array(schema.userDto)).query(({ ctx }) => service.listUsers(ctx.core)),
  details: authedProcedure.output(z.array(schema.userDetailsDto)).query(({ ctx }) => service.listUserDetails(ctx.core, ctx.principal)),
  delete: authedProcedure.input(userId).mutation(({ ctx, input }) => service.deleteUser(ctx.core, ctx.principal, input.userId)),
  resetPassword: authedProcedure
    .input(userId.extend({ password: schema.passwordResetInput.shape.password }))
    .mutation(({ ctx, input }) => service.resetPassword(ctx.core, ctx.principal, input.userId, input.password)),
  setDisabled: authedProcedure
    .input(userId.extend({ disabled: z.boolean() }))
    .mutation(({ ctx, input }) => service.setDisabled(ctx.core, ctx.principal, input.userId, input.disabled)),
  sessions: authedProcedure
    .input(userId)
    .output(z.array(schema.sessionDto))
    .query(({ ctx, input }) => service.listSessions(ctx.core, ctx.principal, input.userId)),
  revokeSession: authedProcedure
    .input(userId.extend({ sessionId: schema.uuid }))
    .mutation(({ ctx, input }) => service.revokeSession(ctx.core, ctx.principal, input.userId, input.sessionId)),
});
