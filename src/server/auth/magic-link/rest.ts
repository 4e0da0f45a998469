import { CoreError } from "../../errors.ts";
import type { RestRequest, RestRoute } from "../../http/types.ts";
import { redirectWithError } from "../token-delivery.ts";
import { redirectWith } from "./delivery.ts";
import { listOutstanding, revoke } from "./outstanding.ts";
import { consumeInput, generateInput, linkId, requestInput } from "./schema.ts";
import * as service from "./service.ts";

/** The answer to a consumption without a browser redirect: the session, as spec §2.3 shapes it. */
const sessionBody = (r: service.SessionConsumed) => ({
  accessToken: r.accessToken,
  refreshToken: r.refreshToken,
  expiresIn: r.expiresIn,
  user: r.user,
  redirectUri: r.redirectUri,
});

/** A person's browser asks for pages; a program asking for JSON (or anything) gets JSON. */
const acceptsHtml = (req: RestRequest) => /\btext\/html\b/i.test(req.raw.headers.accept ?? "");

/**
 * The link in the mail: a browser follows it and, when the link names a redirect, is sent on with a nonce (or,
 * legacy mode, the tokens). A browser opening a link without a redirect lands on the Studio's sign-in page in
 * nonce mode rather than reading tokens as JSON; a program gets the session as JSON. A refusal reaches a browser
 * as the Studio's sign-in page with the sentence, as the SSO refusals do, never as raw JSON.
 */
async function consumeByGet(req: RestRequest) {
  const { core, query, ip, userAgent } = req;
  const token = query.get("token");
  const browser = acceptsHtml(req);
  try {
    if (token === null) throw new CoreError("BAD_REQUEST", "token is required");
    const r = await service.consume(core, token, { ip, userAgent }, true, browser ? service.studioLanding(core) : null);
    if (r.kind === "nonce") return redirectWith(r.redirectUri, { nonce: r.nonce });
    if (r.redirectUri) return redirectWith(r.redirectUri, { tokens: r });
    return { body: sessionBody(r), headers: { "cache-control": "no-store" } };
  } catch (err) {
    if (!(err instanceof CoreError) || err.status >= 500) throw err;
    if (browser || (token !== null && (await service.linkRedirects(core, token)))) return redirectWithError(service.studioLanding(core), err.message);
    throw err;
  }
}

export const magicLinkRoutes: RestRoute[] = [
  {
    method: "POST",
    path: "/auth/magic-link/generate",
    handler: async ({ core, principal, body }) => ({ status: 201, body: await service.generate(core, await principal(), generateInput.parse(body ?? {})) }),
  },
  { method: "GET", path: "/auth/magic-link/consume", handler: consumeByGet },
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
  {
    method: "GET",
    path: "/auth/magic-link",
    handler: async ({ core, principal }) => ({ body: await listOutstanding(core, await principal()) }),
  },
  {
    method: "DELETE",
    path: "/auth/magic-link/:id",
    handler: async ({ core, principal, params }) => ({ body: await revoke(core, await principal(), linkId.parse(params.id)) }),
  },
];
