import type { Core } from "../core.ts";
import { mailConfigured } from "./magic-link/mailer.ts";

/**
 * Whether GET /auth/mode offers magic links, owned by the magic-link subsystem (src/server/auth/magic-link/):
 * true when someone signing in can get a link without an administrator, i.e. outgoing mail (ROOTCX_SMTP_URL)
 * is configured, so a sign-in page knows whether to offer "e-mail me a sign-in link". An administrator (or a
 * holder of auth.invite) can generate a link and hand it over either way.
 */
export function magicLinkEnabled(core: Core): boolean {
  return mailConfigured(core);
}
