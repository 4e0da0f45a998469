import { z } from "zod";
import { ifUrl } from "../../http/url-field.ts";
import { email, userDto } from "../schema.ts";

/** Links live 15 minutes unless the caller asks otherwise, never under a minute nor over a day (spec §2.3). */
export const DEFAULT_EXPIRY_SECONDS = 15 * 60;
export const MIN_EXPIRY_SECONDS = 60;
export const MAX_EXPIRY_SECONDS = 24 * 60 * 60;
export const MAX_ROLES = 32;

/** 32 random bytes as base64url without padding; anything else is not a link this Core made. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const role = z.string({ message: "each role must be a string" }).trim().min(1, { message: "a role name is empty" }).max(128, { message: "a role name is too long" });

/**
 * Where the browser goes once the link is used: http(s) only, and no user:password@ part, which would hand
 * the credentials to whoever reads the address (spec §2.3).
 */
export const redirectUri = z
  .string({ message: "redirectUri must be a string" })
  .max(2048, { message: "redirectUri is too long" })
  .refine((v) => URL.canParse(v), { message: "redirectUri must be an absolute URL" })
  .refine((v) => ifUrl(v, (u) => /^https?:$/.test(u.protocol)), { message: "redirectUri must be an http or https URL" })
  .refine((v) => ifUrl(v, (u) => u.username === "" && u.password === ""), { message: "redirectUri must not carry credentials" });

/**
 * How the tokens reach a redirect: "nonce" (a 30-second single-use code exchanged at /auth/nonce-exchange) or
 * the original's legacy mode (tokens in the address). As in the original any value but "nonce" means legacy;
 * unlike it, no value at all means nonce, so tokens land in an address only when a caller asks for that.
 */
const tokenDelivery = z
  .string({ message: "tokenDelivery must be a string" })
  .max(32, { message: "tokenDelivery is too long" })
  .transform((v): TokenDelivery => (v === "nonce" ? "nonce" : "legacy"));
export type TokenDelivery = "nonce" | "legacy";

export const generateInput = z.object({
  email,
  roles: z
    .array(role, { message: "roles must be a list of role names" })
    .max(MAX_ROLES, { message: `at most ${MAX_ROLES} roles can be conferred by one link` })
    .default([])
    .transform((rs) => [...new Set(rs)]),
  redirectUri: redirectUri.optional(),
  expiresInSeconds: z
    .number({ message: "expiresInSeconds must be a number" })
    .int({ message: "expiresInSeconds must be a whole number of seconds" })
    .default(DEFAULT_EXPIRY_SECONDS)
    .transform((s) => Math.min(MAX_EXPIRY_SECONDS, Math.max(MIN_EXPIRY_SECONDS, s))),
  tokenDelivery: tokenDelivery.optional(),
});
export type GenerateInput = z.infer<typeof generateInput>;

export const mailStatus = z.enum(["sent", "failed", "not_configured"]);
export type MailStatus = z.infer<typeof mailStatus>;

export const generateResult = z.object({
  magicLinkUrl: z.string(),
  expiresAt: z.string(),
  /** Whether the link was also e-mailed to the address. */
  sent: z.boolean(),
  mail: mailStatus,
});
export type GenerateResult = z.infer<typeof generateResult>;

export const consumeInput = z.object({
  token: z.string({ message: "token is required" }).regex(TOKEN_PATTERN, { message: "token is not a sign-in link token" }),
});

export const consumeResult = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number(),
  user: userDto,
  redirectUri: z.string().nullable(),
});
export type ConsumeResult = z.infer<typeof consumeResult>;

/** Self-service: "e-mail me a sign-in link". The redirect must stay on this Core (checked by the service). */
export const requestInput = z.object({ email, redirectUri: redirectUri.optional() });
export type RequestInput = z.infer<typeof requestInput>;

export const requestResult = z.object({ message: z.string() });

export const linkId = z.uuid({ message: "id must be a sign-in link id (a UUID)" });

/** An outstanding link as GET /auth/magic-link lists it: who, what, by whom, until when; never the token. */
export const outstandingLinkDto = z.object({
  id: z.string(),
  email: z.string(),
  roles: z.array(z.string()),
  madeBy: z.object({ id: z.string(), email: z.string().nullable() }).nullable(),
  selfService: z.boolean(),
  forExistingAccount: z.boolean(),
  expiresAt: z.string(),
  createdAt: z.string(),
});
export type OutstandingLinkDto = z.infer<typeof outstandingLinkDto>;
