import { z } from "zod";
import type { RestRoute } from "../../http/types.ts";
import { exchangeAuthNonce } from "../auth-nonce.ts";
import { beforeSsoRequest } from "./rate-limit.ts";
import { authorize, callback } from "./flow.ts";
import * as providers from "./providers.ts";
import { authorizeQuery, callbackQuery, nonceExchangeInput, providerId, providerInput, tokenExchangeInput } from "./schema.ts";
import { tokenExchange } from "./token-exchange.ts";

const queryObject = (q: URLSearchParams) => Object.fromEntries(q);
const forceFlag = z.enum(["true", "false", "1", "0"], { message: "force must be true or false" }).optional();

/** Single sign-on (spec §2.3): providers, the browser flow, token exchange and the nonce exchange. */
export const oidcRoutes: RestRoute[] = [
  { method: "GET", path: "/auth/oidc/providers", handler: async ({ core }) => ({ body: await providers.listPublic(core) }) },
  {
    method: "POST",
    path: "/auth/oidc/providers",
    handler: async ({ core, principal, body }) => ({ body: await providers.saveProvider(core, await principal(), providerInput.parse(body)) }),
  },
  {
    method: "DELETE",
    path: "/auth/oidc/providers/:id",
    handler: async ({ core, principal, params, query }) => {
      const force = forceFlag.parse(query.get("force") ?? undefined);
      return { body: await providers.deleteProvider(core, await principal(), providerId.parse(params.id), force === "true" || force === "1") };
    },
  },
  {
    method: "GET",
    path: "/auth/oidc/:provider/authorize",
    handler: ({ core, params, query, ip, userAgent, raw }) => authorize(core, params.provider ?? "", authorizeQuery.parse(queryObject(query)), { ip, userAgent, req: raw }),
  },
  {
    method: "GET",
    path: "/auth/oidc/callback",
    handler: ({ core, query, ip, userAgent, raw }) => callback(core, callbackQuery.parse(queryObject(query)), query, { ip, userAgent, req: raw }),
  },
  {
    method: "POST",
    path: "/auth/oidc/token-exchange",
    handler: async ({ core, body, ip, userAgent }) => ({ body: await tokenExchange(core, tokenExchangeInput.parse(body), { ip, userAgent }) }),
  },
  {
    method: "POST",
    path: "/auth/nonce-exchange",
    handler: async ({ core, body, ip, userAgent }) => {
      await beforeSsoRequest(core, ip);
      return { body: await exchangeAuthNonce(core, nonceExchangeInput.parse(body).nonce, { ip, userAgent }) };
    },
  },
];
