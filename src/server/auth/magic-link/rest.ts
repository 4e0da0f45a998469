import { z } from "zod";
import { CoreError } from "../../errors.ts";
import { defineRoute } from "../../http/define-route.ts";
import { optionalBody } from "../../http/optional-body.ts";
import type { RestRequest, RestRoute } from "../../http/types.ts";
import { messageResult } from "../../openapi/common.ts";
import { redirectWithError } from "../token-delivery.ts";
import { redirectWith } from "./delivery.ts";
import { listOutstanding, revoke } from "./outstanding.ts";
import { consumeInput, consumeResult, generateInput, generateResult, linkId, outstandingLinkDto, requestInput, requestResult } from "./schema.ts";
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

const tags = ["magic-link"];

export const magicLinkRoutes: RestRoute[] = [
  defineRoute({
    method: "POST",
    path: "/auth/magic-link/generate",
    schemas: { body: optionalBody(generateInput) },
    docs: { summary: "Make a sign-in link (or invitation) for an e-mail address and mail it when mail is configured", tags, responses: { 201: generateResult } },
    handler: async ({ core, principal, input }) => ({ status: 201, body: await service.generate(core, await principal(), input.body) }),
  }),
  defineRoute({
    method: "GET",
    path: "/auth/magic-link/consume",
    schemas: { query: z.object({ token: z.string().optional() }) },
    docs: {
      summary: "The link in the mail: sign in with its token",
      description: "A browser (Accept: text/html) is redirected: to the link's redirect with a nonce or the tokens, or to the Studio's sign-in page (also with a refusal's sentence). A program gets the session as JSON.",
      tags,
      auth: "none",
      responses: { 200: consumeResult, 302: { description: "A browser is sent on to the link's redirect or the Studio's sign-in page" } },
    },
    handler: consumeByGet,
  }),
  defineRoute({
    method: "POST",
    path: "/auth/magic-link/consume",
    schemas: { body: optionalBody(consumeInput) },
    docs: { summary: "Sign in with a link's token (programs)", tags, auth: "none", responses: { 200: consumeResult } },
    handler: async ({ core, input, ip, userAgent }) => {
      const r = await service.consume(core, input.body.token, { ip, userAgent }, false);
      return { body: sessionBody(r), headers: { "cache-control": "no-store" } };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/auth/magic-link/request",
    schemas: { body: optionalBody(requestInput) },
    docs: { summary: "E-mail me a sign-in link (self-service; the answer never says whether the address has an account)", tags, auth: "none", responses: { 202: requestResult } },
    handler: async ({ core, input, ip, userAgent }) => ({ status: 202, body: await service.requestLink(core, input.body, { ip, userAgent }) }),
  }),
  defineRoute({
    method: "GET",
    path: "/auth/magic-link",
    docs: { summary: "Outstanding sign-in links (admin: all; otherwise the caller's own)", tags, responses: { 200: z.array(outstandingLinkDto) } },
    handler: async ({ core, principal }) => ({ body: await listOutstanding(core, await principal()) }),
  }),
  defineRoute({
    method: "DELETE",
    path: "/auth/magic-link/:id",
    schemas: { params: z.object({ id: linkId }) },
    docs: { summary: "Revoke an outstanding sign-in link", tags, responses: { 200: messageResult } },
    handler: async ({ core, principal, input }) => ({ body: await revoke(core, await principal(), input.params.id) }),
  }),
];
