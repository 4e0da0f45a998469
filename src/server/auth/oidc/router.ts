import { z } from "zod";
import { authedProcedure, publicProcedure, router } from "../../trpc/init.ts";
import { exchangeAuthNonce } from "../auth-nonce.ts";
import { assertOwnOrigin } from "../cookie-origin.ts";
import { refreshCookie } from "../cookies.ts";
import * as providers from "./providers.ts";
import { beforeSsoRequest } from "./rate-limit.ts";
import { accessOnly, discoveryInput, discoveryResult, nonceExchangeInput, providerDto, providerId, providerInput, providerPatch, publicProviderDto, tokenPair } from "./schema.ts";

const message = z.object({ message: z.string() });

/** The Studio's SSO procedures: the same service functions as the REST routes. */
export const oidcRouter = router({
  /** Enabled providers, for the login page's buttons. */
  list: publicProcedure.output(z.array(publicProviderDto)).query(({ ctx }) => providers.listPublic(ctx.core)),
  /** Every provider with its settings (never the secret, only whether one is stored) and its linked users count. */
  listAll: authedProcedure.output(z.array(providerDto)).query(({ ctx }) => providers.listAll(ctx.core, ctx.principal)),
  create: authedProcedure.input(providerInput).output(message).mutation(({ ctx, input }) => providers.saveProvider(ctx.core, ctx.principal, input)),
  update: authedProcedure.input(providerPatch).output(message).mutation(({ ctx, input }) => providers.updateProvider(ctx.core, ctx.principal, input)),
  setEnabled: authedProcedure
    .input(z.object({ id: providerId, enabled: z.boolean() }))
    .output(message)
    .mutation(({ ctx, input }) => providers.setEnabled(ctx.core, ctx.principal, input.id, input.enabled)),
  delete: authedProcedure
    .input(z.object({ id: providerId, force: z.boolean().default(false) }))
    .output(message)
    .mutation(({ ctx, input }) => providers.deleteProvider(ctx.core, ctx.principal, input.id, input.force)),
  testDiscovery: authedProcedure
    .input(discoveryInput)
    .output(discoveryResult)
    .mutation(({ ctx, input }) => providers.testDiscovery(ctx.core, ctx.principal, input.issuerUrl)),
  /**
   * The Studio's end of the nonce mode: the login page trades `auth_nonce` for a session. With `cookie: true`
   * the refresh token goes into the HttpOnly cookie (as auth.login does) and the answer holds the access token.
   */
  exchangeNonce: publicProcedure
    .input(nonceExchangeInput.extend({ cookie: z.boolean().optional() }))
    .output(z.union([tokenPair, accessOnly]))
    .mutation(async ({ ctx, input }) => {
      // Another origin must not plant a session cookie (login CSRF) any more than read one.
      if (input.cookie) assertOwnOrigin(ctx.req, ctx.core.config.publicUrl);
      await beforeSsoRequest(ctx.core, ctx.ip);
      const session = await exchangeAuthNonce(ctx.core, input.nonce, ctx);
      if (!input.cookie) return session;
      ctx.res.appendHeader("set-cookie", refreshCookie(session.refreshToken, ctx.core.config.publicUrl.startsWith("https:")));
      return { accessToken: session.accessToken, expiresIn: session.expiresIn };
    }),
});
