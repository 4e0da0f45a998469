import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from "jose";
import { CoreError } from "../../errors.ts";
import type { ProviderClient } from "./client.ts";
import { idTokenClaims, type IdTokenClaims } from "./schema.ts";

/** Signatures an ID token may carry: asymmetric only, so neither `none` nor a shared-secret HMAC is ever accepted. */
const ASYMMETRIC = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];
/** Clocks of the provider and this machine may disagree a little. */
const CLOCK_TOLERANCE_SECONDS = 30;

const invalid = (reason: string, cause?: unknown) => new CoreError("UNAUTHORIZED", `invalid ID token: ${reason}`, { cause });

/**
 * Verifies an ID token handed to the Core directly (token exchange): signature against the provider's published
 * keys, issuer, audience (and `azp` when there are several audiences), expiry and issue time. There is no
 * nonce to check here: the caller did not start the sign-in through us.
 */
export async function verifyIdToken(client: ProviderClient, clientId: string, token: string): Promise<IdTokenClaims> {
  const meta = client.config.serverMetadata();
  const offered = meta.id_token_signing_alg_values_supported;
  const algorithms = offered ? ASYMMETRIC.filter((a) => offered.includes(a)) : ["RS256"];
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch (err) {
    throw invalid("it is not a JSON Web Token", err);
  }
  if (!alg || !algorithms.includes(alg)) throw invalid(`its algorithm ${alg ?? "(none given)"} is not one this provider signs with (${algorithms.join(", ")})`);

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, client.jwks, {
      algorithms,
      issuer: meta.issuer,
      audience: clientId,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["iss", "aud", "sub", "exp", "iat"],
    }));
  } catch (err) {
    throw invalid(reasonOf(err, meta.issuer), err);
  }
  checkPartyAndIssueTime(payload, clientId);
  return claimsOf(payload);
}

/**
 * Checks both ways of signing in share (the callback's ID token and an exchanged one) beyond what the libraries
 * check: an `azp` present must be this client (OIDC Core §3.1.3.7: the token was issued to whoever azp names,
 * even with a single audience), and a token issued in the future is refused (a skewed or forged clock).
 */
export function checkPartyAndIssueTime(payload: JWTPayload, clientId: string): void {
  if (payload.azp !== undefined && payload.azp !== clientId) throw invalid("its authorized party (azp) is another client");
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp === undefined) {
    throw invalid("it names several audiences and no authorized party (azp)");
  }
  if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) throw invalid("it was issued in the future");
}

/** The claims the Core needs, with a readable refusal when the email is missing. */
export function claimsOf(payload: JWTPayload | Record<string, unknown>): IdTokenClaims {
  const parsed = idTokenClaims.safeParse(payload);
  if (!parsed.success) throw new CoreError("UNAUTHORIZED", parsed.error.issues[0]!.message);
  return parsed.data;
}

function reasonOf(err: unknown, issuer: string): string {
  if (err instanceof errors.JWTExpired) return "it has expired";
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "iss") return `it was not issued by ${issuer}`;
    if (err.claim === "aud") return "it was issued for another client (audience)";
    if (err.reason === "missing") return `it has no ${err.claim} claim`;
    return `its ${err.claim} claim is not acceptable (${err.message})`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return "its signature does not verify with the provider's keys";
  if (err instanceof errors.JWKSNoMatchingKey) return "it was signed with a key the provider does not publish";
  if (err instanceof errors.JOSEAlgNotAllowed) return "its signature algorithm is not accepted";
  if (err instanceof errors.JWKSTimeout) return "the provider's keys could not be fetched in time";
  if (err instanceof errors.JOSEError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
