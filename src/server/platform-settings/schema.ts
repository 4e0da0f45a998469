import { z } from "zod";

/** Whether anyone may create an account with POST /auth/register once the first user exists. */
export const registrationMode = z.enum(["open", "closed"], { message: 'registration must be "open" or "closed"' });

export const platformSettings = z.object({ registration: registrationMode });

/** PUT replaces the settings; every field is named, so a typo cannot silently leave one unchanged. */
export const platformSettingsInput = platformSettings.strict();

export type RegistrationMode = z.infer<typeof registrationMode>;
export type PlatformSettings = z.infer<typeof platformSettings>;
