import { sentence } from "../components/api-error.ts";

/**
 * The sentence for an `?error=` a sign-in redirect brought back. The Core sends a readable reason; a person who
 * cancelled at their identity provider (access_denied) is told so plainly, not shown protocol words only.
 */
export function redirectErrorSentence(raw: string): string {
  const text = raw.slice(0, 500);
  if (/\baccess_denied\b/.test(text)) {
    return "The sign-in was cancelled or refused at the identity provider (access denied). You can try again or sign in another way.";
  }
  return `The sign-in did not complete: ${sentence(text)}`;
}
