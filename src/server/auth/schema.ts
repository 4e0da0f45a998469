import { z } from "zod";
import { PASSWORD_MAX_LENGTH } from "./password.ts";

export const email = z
  .string({ message: "email is required" })
  .trim()
  .toLowerCase()
  .max(254, { message: "email is too long" })
  .pipe(z.email({ message: "email is not a valid address" }));

// The policy itself (length, classes) is checked by checkPasswordPolicy so its message names the rule.
const password = z.string({ message: "password is required" }).max(PASSWORD_MAX_LENGTH, { message: "password is too long" });

const displayName = z.string().trim().max(200, { message: "displayName is too long" }).optional();

// Any 8-4-4-4-12 hex id: the seeded system principal (…0001) is not an RFC 4122 UUID.
export const uuid = z.guid({ message: "invalid id" });

/** Accepts `displayName` and the original's `display_name`. */
export const registerInput = z
  .object({ email, password, displayName, display_name: displayName })
  .transform(({ display_name, displayName: dn, ...rest }) => ({ ...rest, displayName: dn ?? display_name ?? null }));

export const loginInput = z.object({
  // Any address is looked up, not only well-formed ones: one that is no person's (a service account's
  // sa+…@localhost, a typo) is answered like a wrong password, never told apart by a 400.
  email: z.string({ message: "email is required" }).trim().toLowerCase().max(254, { message: "email is too long" }),
  password: z.string({ message: "password is required" }).max(PASSWORD_MAX_LENGTH, { message: "invalid credentials" }),
});

export const refreshInput = z.object({ refreshToken: z.string({ message: "refreshToken is required" }).min(1).max(4096) });

export const passwordResetInput = z.object({ password });

export const userDto = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.string().nullable(),
  createdAt: z.string(),
});

export const userDetailsDto = userDto.extend({
  roles: z.array(z.string()),
  disabled: z.boolean(),
  disabledAt: z.string().nullable(),
  sessionCount: z.number(),
});

export const sessionDto = z.object({
  id: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  lastUsedAt: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
});

export const loginResult = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number(),
  user: userDto,
});

export const refreshResult = z.object({ accessToken: z.string(), expiresIn: z.number() });

export const authMode = z.object({
  authRequired: z.boolean(),
  setupRequired: z.boolean(),
  passwordLoginEnabled: z.boolean(),
  /** POST /auth/register accepts anyone (no user yet, or the platform setting `registration` is open). */
  registrationOpen: z.boolean(),
  magicLinkEnabled: z.boolean(),
  providers: z.array(z.object({ id: z.string(), displayName: z.string() })),
});

export type RegisterInput = z.infer<typeof registerInput>;
export type LoginInput = z.infer<typeof loginInput>;
export type UserDto = z.infer<typeof userDto>;
export type UserDetailsDto = z.infer<typeof userDetailsDto>;
export type SessionDto = z.infer<typeof sessionDto>;
export type LoginResult = z.infer<typeof loginResult>;
export type RefreshResult = z.infer<typeof refreshResult>;
export type AuthMode = z.infer<typeof authMode>;
