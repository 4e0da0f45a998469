import { sentence } from "../components/api-error.ts";

/**
 * The sentence for an `?error=` a sign-in redirect brought back. SSO sends a code, never a sentence, and only
 * these codes, plus the fixed refusals of a reopened e-mailed link (its consume redirect still carries the Core's
 * sentence), are shown: anything else in the address (a link someone crafted to put their words on this page)
 * gets the generic sentence.
 */
const SENTENCES: Record<string, string> = {
  access_denied: "The sign-in was cancelled or refused at the identity provider (access denied). You can try again or sign in another way.",
  not_provisioned: "There is no account for you here and this identity provider does not create one. Ask an administrator.",
  email_unverified: "Your identity provider does not confirm that your e-mail address is verified, so the sign-in cannot continue. Verify it there, or ask an administrator.",
  account_disabled: "This account is disabled. An administrator can enable it.",
  account_conflict: "An account with your e-mail address exists but cannot be linked to this sign-in. Ask an administrator to resolve it.",
  provider_unavailable: "The identity provider could not be reached or answered in a way this server cannot use. Try again later, or ask an administrator.",
  browser_mismatch: "This sign-in was started in another browser or window, or its cookie was blocked. Please sign in again.",
};

const MAGIC_LINK_REFUSALS = new Set([
  "this sign-in link is invalid, expired or already used",
  "this invitation was for a new account, and an account with this address exists now; sign in normally",
  "the person who made this link can no longer grant it",
  "this sign-in link is not for a person's account",
  "this account is disabled",
  "token is not a sign-in link token",
  "token is required",
]);

const GENERIC = "The sign-in did not complete. Please try again, or ask an administrator if it keeps failing.";

export function redirectErrorSentence(code: string): string {
  if (Object.hasOwn(SENTENCES, code)) return SENTENCES[code]!;
  return MAGIC_LINK_REFUSALS.has(code) ? sentence(code) : GENERIC;
}

/** What the page says when a returned sign-in code cannot be traded for a session (expired, already used, disabled). */
export const EXCHANGE_FAILED = "This sign-in has expired or was already used. Please sign in again.";
