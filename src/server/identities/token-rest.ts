import { z } from "zod";
import { readTextBody } from "../http/body.ts";
import { defineRoute } from "../http/define-route.ts";
import type { RestRoute } from "../http/types.ts";
import { CoreError } from "../errors.ts";
import { exchangeClientCredentials } from "./client-credentials.ts";
import { id } from "./schema.ts";

/** A token request is a few short fields; anything larger is not one. */
const TOKEN_BODY_LIMIT = 8 * 1024;

const tokenRequest = z.object({
  grant_type: z.string({ message: "invalid_request: grant_type is required" }),
  client_id: z.string({ message: "invalid_request: client_id is required" }),
  client_secret: z.string({ message: "invalid_request: client_secret is required" }).max(200, { message: "invalid_client" }),
});

const tokenAnswer = z.object({ access_token: z.string(), token_type: z.literal("Bearer"), expires_in: z.number() });

/**
 * The form's fields; RFC 6749 §3.2 forbids a parameter given twice. A JSON object with the same names is read
 * too, since clients of the JSON routes send one by habit.
 */
function readFields(text: string, contentType: string | undefined): Record<string, string> {
  if (contentType?.toLowerCase().includes("json")) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new CoreError("BAD_REQUEST", "invalid_request: the body is neither a form (application/x-www-form-urlencoded) nor a JSON object");
    }
    return z.record(z.string(), z.string({ message: "invalid_request: every field is a string" })).parse(value);
  }
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of new URLSearchParams(text)) {
    if (k in fields) throw new CoreError("BAD_REQUEST", `invalid_request: ${k} is given more than once`);
    fields[k] = v;
  }
  return fields;
}

/** Spec §2.2: client credentials (RFC 6749 §4.4), form-encoded. */
export const tokenRoutes: RestRoute[] = [
  defineRoute({
    method: "POST",
    path: "/auth/token",
    body: "raw",
    bodyLimit: TOKEN_BODY_LIMIT,
    docs: {
      summary: "Exchange a service account's id and API key (grant_type=client_credentials, form-encoded) for a short-lived access token",
      tags: ["auth"],
      auth: "none",
      requestBody: { mediaType: "application/x-www-form-urlencoded", description: "grant_type=client_credentials&client_id=<service account id>&client_secret=rcs_…" },
      responses: { 200: tokenAnswer },
    },
    handler: async ({ core, raw, ip, userAgent }) => {
      const fields = tokenRequest.parse(readFields(await readTextBody(raw, TOKEN_BODY_LIMIT), raw.headers["content-type"]));
      if (fields.grant_type !== "client_credentials") throw new CoreError("BAD_REQUEST", "unsupported_grant_type");
      if (!id.safeParse(fields.client_id).success) throw new CoreError("UNAUTHORIZED", "invalid_client", { details: { detail: "client_id is not a service account id" } });
      const answer = await exchangeClientCredentials(core, fields.client_id, fields.client_secret, { ip, userAgent });
      // RFC 6749 §5.1: token answers are never cached.
      return { body: answer, headers: { "cache-control": "no-store", pragma: "no-cache" } };
    },
  }),
];
