import { z } from "zod";
import { ifUrl } from "../../http/url-field.ts";

/** Lower-case letters, digits, `-` and `_`, at most 63: it appears in URLs and in the vault scope `oidc:{id}`. */
export const providerId = z
  .string({ message: "id is required" })
  .trim()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { message: "id must be 1 to 63 lower-case letters, digits, - or _, starting with a letter or digit" });

const roleName = z.string().trim().min(1, { message: "defaultRole must not be empty" }).max(128, { message: "defaultRole is too long" });

const scope = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/, { message: "each scope must be a single word without spaces or quotes" });

const issuerUrl = z
  .string({ message: "issuerUrl is required" })
  .trim()
  .max(2048, { message: "issuerUrl is too long" })
  .refine((v) => URL.canParse(v), { message: "issuerUrl must be an absolute URL" })
  .refine((v) => ifUrl(v, isHttpsOrLoopback), { message: "issuerUrl must use https (plain http is allowed only for localhost and 127.0.0.1)" })
  .refine((v) => ifUrl(v, (u) => u.username === "" && u.password === "" && u.search === "" && u.hash === ""), {
    message: "issuerUrl must not carry credentials, a query or a fragment",
  })
  .transform((v) => v.replace(/\/+$/, ""));

/** Plain http is tolerated only for an identity provider on this machine (tests, local development). */
export function isLoopbackHost(url: URL): boolean {
  return url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
}

export function isHttpsOrLoopback(url: URL): boolean {
  return url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url));
}

const providerFields = {
  displayName: z.string({ message: "displayName is required" }).trim().min(1, { message: "displayName must not be empty" }).max(100, { message: "displayName is too long" }),
  issuerUrl,
  clientId: z.string({ message: "clientId is required" }).trim().min(1, { message: "clientId must not be empty" }).max(512, { message: "clientId is too long" }),
  /** Omitted on an update: the stored secret stays. An empty string removes it (a public client with PKCE). */
  clientSecret: z.string().max(4096, { message: "clientSecret is too long" }).optional(),
  scopes: z
    .array(scope, { message: "scopes must be a list of scope names" })
    .max(32, { message: "at most 32 scopes" })
    .transform((s) => [...new Set(s)])
    .refine((s) => s.includes("openid"), { message: "scopes must include openid" }),
  autoRegister: z.boolean({ message: "autoRegister must be true or false" }),
  defaultRole: roleName,
  roleClaim: z
    .string()
    .trim()
    .max(128, { message: "roleClaim is too long" })
    .nullable()
    .transform((v) => (v ? v : null)),
  enabled: z.boolean({ message: "enabled must be true or false" }),
  trustEmail: z.boolean({ message: "trustEmail must be true or false" }),
};

/** POST /auth/oidc/providers: seed 002's body with its defaults, except `defaultRole`, which is `base`. */
export const providerInput = z.object({
  id: providerId,
  ...providerFields,
  scopes: providerFields.scopes.default(["openid", "email", "profile"]),
  autoRegister: providerFields.autoRegister.default(true),
  defaultRole: providerFields.defaultRole.default("base"),
  roleClaim: providerFields.roleClaim.optional().transform((v) => v ?? null),
  enabled: providerFields.enabled.default(true),
  trustEmail: providerFields.trustEmail.default(false),
});

/** A partial change of an existing provider (Studio); what is omitted stays. */
export const providerPatch = z.object({
  id: providerId,
  displayName: providerFields.displayName.optional(),
  issuerUrl: providerFields.issuerUrl.optional(),
  clientId: providerFields.clientId.optional(),
  clientSecret: providerFields.clientSecret,
  scopes: providerFields.scopes.optional(),
  autoRegister: providerFields.autoRegister.optional(),
  defaultRole: providerFields.defaultRole.optional(),
  roleClaim: providerFields.roleClaim.optional(),
  enabled: providerFields.enabled.optional(),
  trustEmail: providerFields.trustEmail.optional(),
});

export const discoveryInput = z.object({ issuerUrl });

export type ProviderInput = z.infer<typeof providerInput>;
export type ProviderPatch = z.infer<typeof providerPatch>;

/** What the login page needs. */
export const publicProviderDto = z.object({ id: z.string(), displayName: z.string() });

/** What an administrator sees: everything but the secret, of which only its presence is said. */
export const providerDto = z.object({
  id: z.string(),
  displayName: z.string(),
  issuerUrl: z.string(),
  clientId: z.string(),
  hasClientSecret: z.boolean(),
  scopes: z.array(z.string()),
  autoRegister: z.boolean(),
  defaultRole: z.string(),
  roleClaim: z.string().nullable(),
  trustEmail: z.boolean(),
  enabled: z.boolean(),
  linkedUsers: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const discoveryResult = z.object({
  issuer: z.string(),
  authorizationEndpoint: z.string(),
  tokenEndpoint: z.string(),
  jwksUri: z.string().nullable(),
  scopesSupported: z.array(z.string()).nullable(),
});

export type PublicProviderDto = z.infer<typeof publicProviderDto>;
export type ProviderDto = z.infer<typeof providerDto>;
export type DiscoveryResult = z.infer<typeof discoveryResult>;

/** Any value but "nonce" means the original's legacy mode (tokens in the address); absent means JSON. */
export const authorizeQuery = z.object({
  redirect_uri: z.string().max(2048, { message: "redirect_uri is too long" }).optional(),
  token_delivery: z
    .string()
    .max(32, { message: "token_delivery is too long" })
    .optional()
    .transform((v): "nonce" | "legacy" | undefined => (v === undefined ? undefined : v === "nonce" ? "nonce" : "legacy")),
  /** Set by the Core's own detour to its public URL (flow.ts), so it happens once. */
  via_public_url: z.literal("1").optional(),
});

export const callbackQuery = z.object({
  state: z.string({ message: "is missing; this is not a callback of a sign-in this Core started" }).min(1, { message: "is empty" }).max(512, { message: "is too long" }),
  code: z.string().max(4096, { message: "code is too long" }).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(1024).optional(),
});

export const tokenExchangeInput = z.object({
  providerId: z.string({ message: "providerId is required" }).max(63, { message: "unknown provider" }),
  idToken: z.string({ message: "idToken is required" }).min(1, { message: "idToken is required" }).max(16_384, { message: "idToken is too long" }),
});

/** Any string reaches the nonce check, which answers 401 for every one that is not a live nonce (docs/API.md); an over-long one is cut first. */
export const nonceExchangeInput = z.object({ nonce: z.string({ message: "nonce is required" }).transform((v) => v.slice(0, 64)) });

export const tokenPair = z.object({ accessToken: z.string(), refreshToken: z.string(), expiresIn: z.number() });
export const accessOnly = z.object({ accessToken: z.string(), expiresIn: z.number() });

/** The claims the Core reads from an ID token once its signature and registered claims are verified. */
export const idTokenClaims = z
  .object({
    sub: z
      .string({ message: "the identity provider sent a subject (sub) that is not a string; ID tokens must name the user with a string" })
      .min(1, { message: "the identity provider sent an empty subject (sub)" })
      .max(255, { message: "the identity provider sent a subject (sub) longer than 255 characters" }),
    email: z
      .string({ message: "the identity provider sent no email claim; add the email scope" })
      .trim()
      .toLowerCase()
      .max(254, { message: "the identity provider sent an email address longer than 254 characters" })
      .pipe(z.email({ message: "the identity provider sent an email claim that is not an address" })),
    email_verified: z.unknown().optional(),
    name: z.string().max(200).optional().catch(undefined),
    preferred_username: z.string().max(200).optional().catch(undefined),
  })
  .passthrough();

export type IdTokenClaims = z.infer<typeof idTokenClaims>;
