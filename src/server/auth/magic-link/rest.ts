import { CoreError } from "../../errors.ts";
import type { RestRoute } from "../../http/types.ts";
import { redirectWith } from "./delivery.ts";
import { consumeInput, generateInput, requestInput } from "./schema.ts";
import * as service from "./service.ts";

/** The answer to a consumption without a browser redirect: the session, as spec §2.3 shapes it. */
const sessionBody = (r: service.SessionConsumed) => ({
  accessToken: r.accessToken,
  refreshToken: r.refreshToken,
  expiresIn: r.expiresIn,
  user: r.user,
  redirectUri: r.redirectUri,
});

export const magicLinkRoutes: RestRoute[] = [
  {
    method: "POST",
    path: "/auth/magic-link/generate",
    handler: async ({ core, principal, body }) => ({ status: 201, body: await service.generate(core, await principal(), generateInput.parse(body ?? {})) }),
  },
  {
    // The link in the mail: a browser follows it and, when the link names a redirect, is sent on with a nonce
    // (or, legacy mode, the tokens); without a redirect the answer is the session as JSON.
    method: "GET",
    path: "/auth/magic-link/consume",
    handler: async ({ core, query, ip, userAgent }) => {
      const token = query.get("token");
      if (token === null) throw new CoreError("BAD_REQUEST", "token is required");
      const r = await service.consume(core, token, { ip, userAgent }, true);
      if (r.kind === "nonce") return redirectWith(r.redirectUri, { nonce: r.nonce });
      if (r.redirectUri) return redirectWith(r.redirectUri, { tokens: r });
      return { body: sessionBody(r), headers: { "cache-control": "no-store" } };
    },
  },
  {
    method: "POST",
    path: "/auth/magic-link/consume",
    handler: async ({ core, body, ip, userAgent }) => {
      const r = await service.consume(core, consumeInput.parse(body ?? {}).token, { ip, userAgent }, false);
      return { body: sessionBody(r), headers: { "cache-control": "no-store" } };
    },
  },
  {
    method: "POST",
    path: "/auth/magic-link/request",
    handler: async ({ core, body, ip, userAgent }) => ({ status: 202, body: await service.requestLink(core, requestInput.parse(body ?? {}), { ip, userAgent }) }),
  },
];
