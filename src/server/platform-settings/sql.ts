import type { Queryable } from "../db/queryable.ts";
import { registrationMode, type PlatformSettings, type RegistrationMode } from "./schema.ts";

/** The settings live as rows of rootcx_system.config (key → JSON value), one per setting. */
const REGISTRATION_KEY = "platform.registration";

/** Today's behaviour when nobody chose: sign-up stays open, as in the original. */
export const DEFAULTS: PlatformSettings = { registration: "open" };

export async function readRegistration(db: Queryable, opts: { forUpdate?: boolean } = {}): Promise<RegistrationMode> {
  const { rows } = await db.query<{ value: unknown }>(
    `SELECT value FROM rootcx_system.config WHERE key = $1${opts.forUpdate ? " FOR UPDATE" : ""}`,
    [REGISTRATION_KEY],
  );
  // A value written by hand that is not a known mode reads as the default rather than failing every sign-up.
  const parsed = registrationMode.safeParse(rows[0]?.value);
  return parsed.success ? parsed.data : DEFAULTS.registration;
}

export async function writeRegistration(db: Queryable, mode: RegistrationMode): Promise<void> {
  await db.query(
    `INSERT INTO rootcx_system.config (key, value, updated_at) VALUES ($1, to_jsonb($2::text), now())
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [REGISTRATION_KEY, mode],
  );
}
