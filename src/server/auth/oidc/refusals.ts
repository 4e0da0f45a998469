import { CoreError, type ErrorCode } from "../../errors.ts";

/**
 * What a browser sign-in sent back to a page (`/login?error=`) may say: a code, never the Core's sentence, so
 * nobody can craft a link that makes the login page display a text of their choosing. The page has its own
 * sentence for each code; the JSON answer and the log keep the full reason.
 */
export const SSO_ERROR_CODES = ["access_denied", "not_provisioned", "email_unverified", "account_disabled", "account_conflict", "provider_unavailable", "browser_mismatch", "sso_failed"] as const;
export type SsoErrorCode = (typeof SSO_ERROR_CODES)[number];

/** A refusal whose code a redirect may carry. Any other error reaches a page as `sso_failed`. */
export class SsoRefusal extends CoreError {
  readonly reason: SsoErrorCode;

  constructor(code: ErrorCode, reason: SsoErrorCode, message: string, opts?: { cause?: unknown }) {
    super(code, message, opts);
    this.reason = reason;
  }
}

export const redirectCodeOf = (err: CoreError): SsoErrorCode => (err instanceof SsoRefusal ? err.reason : "sso_failed");
