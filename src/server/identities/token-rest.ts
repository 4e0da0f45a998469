import { parse as parseJson } from "lossless-json";
import { z } from "zod";
import { readTextBody } from "../http/body.ts";
import { defineRoute } from "../http/define-route.ts";
import type { RestRoute } from "../http/types.ts";
import { CoreError, formatZodError } from "../errors.ts";
import { exchangeClientCredentials, invalidClient } from "./client-credentials.ts";
import { id } from "./schema.ts";

/** A token request is a few short fields; anything larger is not one. */
const TOKEN_BODY_LIMIT = 8 * 1024;

/** RFC 6749 §5.2: the code in `error`, the reason in `error_description`. */
const invalidRequest = (why: string) => new CoreError("BAD_REQUEST", "invalid_request", { details: { error_description: why } });

const field = (name: string) => z.string({ error: (iss) => (iss.input === undefined ? `${name} is required` : `${name} must be a string`) });

const tokenRequest = z.object({ grant_type: field("grant_type"), client_id: field("client_id").optional(), client_secret: field("client_secret").optional() });

const tokenAnswer = z.object({ access_token: z.string(), token_type: z.literal("Bearer"), expires_in: z.number() });

const given = (name: string) => `${name} is given more than once`;

/**
 * The body's fields. RFC 6749 §3.2 forbids a parameter given twice, in a form or (for clients of the JSON routes,
 * which send one by habit) in a JSON object: both are refused alike, rather than the JSON one being last-wins.
 */
function readFields(text: string, contentType: string | undefined): unknown {
  if (contentType?.toLowerCase().includes("json")) {
    try {
      // lossless-json throws on a key repeated with another value (a repeat with the same value means the same).
      return parseJson(text);
    } catch (err) {
      const dup = /^Duplicate key '(.*)' encountered/.exec((err as Error).message);
      throw invalidRequest(dup ? given(dup[1]!) : "the body is neither a form (application/x-www-form-urlencoded) nor a JSON object");
    }
  }
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of new URLSearchParams(text)) {
    if (k in fields) throw invalidRequest(given(k));
    fields[k] = v;
  }
  return fields;
}

/**
 * HTTP Basic client authentication (RFC 6749 §2.3.1, which servers MUST support): `base64(urlencode(id) ":"
 * urlencode(secret))`. Undefined when the request has no Basic credentials.
 */
function basicCredentials(authorization: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const encoded = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(authorization ?? "")?.[1];
  if (authorization !== undefined && /^Basic\b/i.test(authorization) && encoded === undefined) throw basicRefused("the Basic credentials are not base64");
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) throw basicRefused("the Basic credentials have no ':' between client id and secret");
  try {
    return { clientId: decodeURIComponent(decoded.slice(0, colon)), clientSecret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    throw basicRefused("the Basic credentials are not URL-encoded");
  }
}

/** RFC 6749 §5.2: a client that authenticated with a header is answered 401 with the scheme it used. */
const BASIC_CHALLENGE = { "www-authenticate": 'Basic realm="rootcx", charset="UTF-8"' };
const basicRefused = (why: string) => new CoreError("UNAUTHORIZED", "invalid_client", { details: { error_description: why }, headers: BASIC_CHALLENGE });

async function exchange(req: { core: Parameters<typeof exchangeClientCredentials>[0]; ip: string; userAgent: string | null }, fields: z.infer<typeof tokenRequest>, basic: ReturnType<typeof basicCredentials>) {
  if (fields.grant_type !== "client_credentials") {
    throw new CoreError("BAD_REQUEST", "unsupported_grant_type", { details: { error_description: "only grant_type=client_credentials is supported" } });
  }
  if (basic && (fields.client_id !== undefined || fields.client_secret !== undefined)) {
    // RFC 6749 §2.3: one client authentication method per request.
    throw invalidRequest("authenticate the client with HTTP Basic or with client_id and client_secret in the body, not both");
  }
  const clientId = basic?.clientId ?? fields.client_id;
  const clientSecret = basic?.clientSecret ?? fields.client_secret;
  if (clientId === undefined) throw invalidRequest("client_id is required (in the body, or HTTP Basic)");
  if (clientSecret === undefined) throw invalidRequest("client_secret is required (in the body, or HTTP Basic)");
  if (!id.safeParse(clientId).success) throw invalidClient("client_id is not a service account id");
  return exchangeClientCredentials(req.core, clientId, clientSecret, { ip: req.ip, userAgent: req.userAgent });
}

/** Spec §2.2: client credentials (RFC 6749 §4.4), form-encoded. */
export const tokenRoutes: RestRoute[] = [
  defineRoute({
    method: "POST",
    path: "/auth/token",
    body: "raw",
    bodyLimit: TOKEN_BODY_LIMIT,
    docs: {
      summary: "Exchange a service account's id and API key (grant_type=client_credentials, form-encoded, or HTTP Basic) for a short-lived access token",
      tags: ["auth"],
      auth: "none",
      requestBody: { mediaType: "application/x-www-form-urlencoded", description: "grant_type=client_credentials&client_id=<service account id>&client_secret=rcs_…" },
      responses: { 200: tokenAnswer, 401: { description: "Unknown client id, wrong API key, or a revoked or disabled service account." } },
    },
    handler: async ({ core, raw, ip, userAgent }) => {
      const basic = basicCredentials(raw.headers.authorization);
      const parsed = tokenRequest.safeParse(readFields(await readTextBody(raw, TOKEN_BODY_LIMIT), raw.headers["content-type"]));
      if (!parsed.success) throw invalidRequest(parsed.error.issues.some((i) => i.code === "invalid_type" && i.path.length === 0) ? "the body must be a form or a JSON object" : formatZodError(parsed.error));
      try {
        const answer = await exchange({ core, ip, userAgent }, parsed.data, basic);
        // RFC 6749 §5.1: token answers are never cached.
        return { body: answer, headers: { "cache-control": "no-store", pragma: "no-cache" } };
      } catch (err) {
        if (basic && err instanceof CoreError && err.message === "invalid_client") {
          throw new CoreError("UNAUTHORIZED", "invalid_client", { details: err.details, headers: BASIC_CHALLENGE });
        }
        throw err;
      }
    },
  }),
];
