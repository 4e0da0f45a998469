import { z } from "zod";
import { defineRoute } from "../../http/define-route.ts";
import type { RestRoute } from "../../http/types.ts";
import { messageResult } from "../../openapi/common.ts";
import { exchangeAuthNonce } from "../auth-nonce.ts";
import { loginResult } from "../schema.ts";
import { beforeSsoRequest } from "./rate-limit.ts";
import { authorize, callback } from "./flow.ts";
import * as providers from "./providers.ts";
import { accessOnly, authorizeQuery, callbackQuery, nonceExchangeInput, providerId, providerInput, publicProviderDto, tokenExchangeInput, tokenPair } from "./schema.ts";
import { tokenExchange } from "./token-exchange.ts";

const forceFlag = z.enum(["true", "false", "1", "0"], { message: "force must be true or false" }).optional();
const tags = ["sso"];
const redirect = { description: "A redirect: to the provider, or back to the caller's redirect_uri with a nonce, the tokens (legacy) or the error" };

/** Single sign-on (spec §2.3): providers, the browser flow, token exchange and the nonce exchange. */
export const oidcRoutes: RestRoute[] = [
  defineRoute({
    method: "GET",
    path: "/auth/oidc/providers",
    docs: { summary: "The enabled SSO providers, for a sign-in page", tags, auth: "none", responses: { 200: z.array(publicProviderDto) } },
    handler: async ({ core }) => ({ body: await providers.listPublic(core) }),
  }),
  defineRoute({
    method: "POST",
    path: "/auth/oidc/providers",
    schemas: { body: providerInput },
    docs: { summary: "Create or replace an SSO provider (admin)", tags, responses: { 200: messageResult } },
    handler: async ({ core, principal, input }) => ({ body: await providers.saveProvider(core, await principal(), input.body) }),
  }),
  defineRoute({
    method: "DELETE",
    path: "/auth/oidc/providers/:id",
    schemas: { params: z.object({ id: providerId }), query: z.object({ force: forceFlag }) },
    docs: { summary: "Delete an SSO provider (admin); `force` also when users are linked to it", tags, responses: { 200: messageResult } },
    handler: async ({ core, principal, input }) => {
      const force = input.query.force === "true" || input.query.force === "1";
      return { body: await providers.deleteProvider(core, await principal(), input.params.id, force) };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/auth/oidc/:provider/authorize",
    schemas: { params: z.object({ provider: z.string() }), query: authorizeQuery },
    docs: {
      summary: "Start the browser sign-in with a provider",
      description: "Redirects the browser to the provider. `redirect_uri` is where the browser lands afterwards: with `token_delivery=nonce` it carries a one-time nonce for POST /auth/nonce-exchange, with any other value the tokens (legacy); without it the callback answers the session as JSON.",
      tags,
      auth: "none",
      responses: { 302: redirect },
    },
    handler: ({ core, input, ip, userAgent, raw }) => authorize(core, input.params.provider, input.query, { ip, userAgent, req: raw }),
  }),
  defineRoute({
    method: "GET",
    path: "/auth/oidc/callback",
    schemas: { query: callbackQuery },
    docs: { summary: "Where the provider sends the browser back", tags, auth: "none", responses: { 200: loginResult, 302: redirect } },
    handler: ({ core, input, query, ip, userAgent, raw }) => callback(core, input.query, query, { ip, userAgent, req: raw }),
  }),
  defineRoute({
    method: "POST",
    path: "/auth/oidc/token-exchange",
    schemas: { body: tokenExchangeInput },
    docs: { summary: "Exchange a provider's ID token for a session (native and CLI clients)", tags, auth: "none", responses: { 200: z.union([tokenPair, accessOnly]) } },
    handler: async ({ core, input, ip, userAgent }) => ({ body: await tokenExchange(core, input.body, { ip, userAgent }) }),
  }),
  defineRoute({
    method: "POST",
    path: "/auth/nonce-exchange",
    schemas: { body: nonceExchangeInput },
    docs: { summary: "Exchange the one-time nonce of a browser sign-in for its session", tags, auth: "none", responses: { 200: loginResult } },
    // Rate-limited per address before anything about the body is said.
    guard: ({ core, ip }) => beforeSsoRequest(core, ip),
    handler: async ({ core, input, ip, userAgent }) => ({ body: await exchangeAuthNonce(core, input.body.nonce, { ip, userAgent }) }),
  }),
];
