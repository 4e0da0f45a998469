import { z } from "zod";

/** The permission every service-account route needs (spec §2.19). */
export const SERVICE_ACCOUNTS_MANAGE = "admin:service_accounts.manage";

// Any 8-4-4-4-12 hex id, as the auth subsystem accepts ids.
export const id = z.guid({ message: "invalid id" });

/** "is required" when absent, "must be a string" when present with another type. */
const text = (field: string) => z.string({ error: (iss) => (iss.input === undefined ? `${field} is required` : `${field} must be a string`) });

/**
 * Control and invisible format characters, lone surrogates, line and paragraph separators: a name is shown in
 * lists and written to the audit log, where a newline or an escape sequence would forge lines or colours, and
 * PostgreSQL refuses NUL in text with its own message.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
const visible = (field: string) => [(v: string) => !INVISIBLE.test(v), { message: `${field} must not contain control or invisible characters`, abort: true }] as const;

// At least one letter or digit: "-" or "_" alone names nothing anyone could tell apart.
export const slug = text("slug").regex(/^(?=[a-z0-9_-]*[a-z0-9])[a-z0-9_-]{1,48}$/, {
  message: "slug must be 1 to 48 of a-z, 0-9, _ and -, with at least one letter or digit",
});

const displayName = text("displayName")
  .refine(...visible("displayName"))
  .trim()
  .min(1, { message: "displayName cannot be empty" })
  .max(200, { message: "displayName is too long" });

export const createInput = z.object({ slug, displayName: displayName.optional() });

/** Days a key lives: 90 unless said (absent or null), clamped to 1..365 as the original does. */
export const DEFAULT_KEY_DAYS = 90;
export const expiresInDays = z
  .number({ message: "expiresInDays must be a whole number of days" })
  .int({ message: "expiresInDays must be a whole number of days" })
  .nullish()
  .transform((d) => Math.min(365, Math.max(1, d ?? DEFAULT_KEY_DAYS)));

export const credentialName = text("name")
  .refine(...visible("name"))
  .trim()
  .min(1, { message: "name cannot be empty" })
  .max(100, { message: "name is at most 100 characters" });

export const createCredentialInput = z.object({ name: credentialName, expiresInDays });

/** `new_owner` as the original spells it; `newOwner` for TypeScript callers. */
export const transferInput = z
  .object({ new_owner: id.optional(), newOwner: id.optional() })
  .transform((v, ctx) => {
    if (v.newOwner !== undefined && v.new_owner !== undefined) {
      ctx.addIssue({ code: "custom", message: "give new_owner or newOwner, not both" });
      return z.NEVER;
    }
    const owner = v.newOwner ?? v.new_owner;
    if (!owner) {
      ctx.addIssue({ code: "custom", message: "new_owner is required" });
      return z.NEVER;
    }
    return { newOwner: owner };
  });

export const actAsInput = z.object({ userId: id });

export const accountParams = z.object({ id });
export const credentialParams = z.object({ id, credId: id });

export const createdAccountDto = z.object({ id: z.string(), email: z.string() });

export const ownerDto = z.object({ id: z.string(), email: z.string() });

export const serviceAccountDto = z.object({
  id: z.string(),
  email: z.string(),
  slug: z.string(),
  displayName: z.string().nullable(),
  disabled: z.boolean(),
  owner: ownerDto,
  roles: z.array(z.string()),
  credentialCount: z.number(),
  /** The latest use of any of its keys (recorded at most once a minute per key). */
  lastUsedAt: z.string().nullable(),
  createdAt: z.string(),
});

/** A key as lists show it: never the key itself, nor its hash. */
export const credentialDto = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  expiresAt: z.string(),
  lastUsedAt: z.string().nullable(),
  createdAt: z.string(),
  expired: z.boolean(),
});

export const actAsDto = z.object({
  id: z.string(),
  userId: z.string(),
  email: z.string(),
  createdAt: z.string(),
});

export const serviceAccountDetailsDto = serviceAccountDto.extend({
  credentials: z.array(credentialDto),
  actAs: z.array(actAsDto),
});

/** The one answer that carries a key: right after it was made. */
export const createdCredentialDto = z.object({ id: z.string(), key: z.string(), prefix: z.string(), expiresAt: z.string() });

export const messageDto = z.object({ message: z.string() });

export type ServiceAccountDto = z.infer<typeof serviceAccountDto>;
export type ServiceAccountDetailsDto = z.infer<typeof serviceAccountDetailsDto>;
export type CredentialDto = z.infer<typeof credentialDto>;
export type CreatedCredentialDto = z.infer<typeof createdCredentialDto>;
export type ActAsDto = z.infer<typeof actAsDto>;
