import { createHash, randomBytes, webcrypto } from "node:crypto";
import { errors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { LRUCache } from "lru-cache";
import { CoreError } from "../errors.ts";

export const ACCESS_TTL_SECONDS = 15 * 60;
export const REFRESH_TTL_SECONDS = 30 * 24 * 60 * 60;
/** How far ahead of this machine's clock another Core process may stamp `iat` (clocks drift a little). */
export const CLOCK_SKEW_SECONDS = 30;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AccessClaims {
  sub: string;
  email: string;
  /** The server-side session the token was minted for: every access token has one, so logout ends it. */
  sid: string;
}

export interface RefreshClaims {
  sub: string;
  sessionId: string;
}

/**
 * HS256 tokens, as the original: access tokens carry `email` (and here `sid`), refresh tokens carry an empty
 * `email` and `session_id`. A `typ` claim makes the two impossible to confuse even for a lenient reader.
 */
export class TokenService {
  // Imported once: handing jose raw bytes would import a WebCrypto key on every sign and verify.
  readonly #key: Promise<webcrypto.CryptoKey>;
  /**
   * Verified tokens by their exact text (signature included), until they expire: the same access token is
   * presented on every request of a session, and HMAC through WebCrypto costs more than the rest of a cached
   * request. A forged or altered token never matches an entry, so it is always verified in full.
   */
  readonly #verified = new LRUCache<string, { payload: JWTPayload; exp: number }>({ max: 10_000 });

  constructor(secret: string) {
    this.#key = webcrypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  }

  async signAccess(c: AccessClaims): Promise<string> {
    return new SignJWT({ email: c.email, typ: "access", sid: c.sid })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(c.sub)
      .setIssuedAt()
      .setExpirationTime(`${ACCESS_TTL_SECONDS}s`)
      .sign(await this.#key);
  }

  async signRefresh(c: RefreshClaims): Promise<string> {
    return new SignJWT({ email: "", session_id: c.sessionId, typ: "refresh" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(c.sub)
      .setJti(randomBytes(16).toString("hex"))
      .setIssuedAt()
      .setExpirationTime(`${REFRESH_TTL_SECONDS}s`)
      .sign(await this.#key);
  }

  async #verify(token: string): Promise<JWTPayload> {
    const cached = this.#verified.get(token);
    if (cached) {
      if (cached.exp * 1000 > Date.now()) return cached.payload;
      this.#verified.delete(token);
      throw new CoreError("UNAUTHORIZED", "token expired");
    }
    // base64url decoding ignores the unused low bits of the last character, so one signature has several
    // spellings; only the canonical one is a token (an altered token must never verify).
    const signature = token.slice(token.lastIndexOf(".") + 1);
    if (Buffer.from(signature, "base64url").toString("base64url") !== signature) throw new CoreError("UNAUTHORIZED", "invalid token");
    try {
      // The algorithm is pinned: "none", RS256-with-the-secret-as-public-key and friends are all refused.
      // A token without an expiry would be valid forever, one without `iat` could not have its lifetime capped.
      const { payload } = await jwtVerify(token, await this.#key, { algorithms: ["HS256"], requiredClaims: ["exp", "iat", "sub", "typ"] });
      this.#verified.set(token, { payload, exp: payload.exp! });
      return payload;
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new CoreError("UNAUTHORIZED", "token expired");
      if (err instanceof errors.JWTClaimValidationFailed && err.reason === "missing") {
        throw new CoreError("UNAUTHORIZED", `invalid token: missing ${err.claim} claim`);
      }
      throw new CoreError("UNAUTHORIZED", "invalid token");
    }
  }

  /** The token's claims and its expiry (`exp`, seconds): work that outlives the request ends with the token. */
  async verifyAccess(token: string): Promise<AccessClaims & { exp: number }> {
    return accessClaims(await this.#verify(token));
  }

  /**
   * verifyAccess without waiting, for a token this process verified before and that has not expired (the same
   * checks, on the payload verified then); undefined when it must go through verifyAccess.
   */
  cachedAccess(token: string): (AccessClaims & { exp: number }) | undefined {
    const cached = this.#verified.get(token);
    return cached && cached.exp * 1000 > Date.now() ? accessClaims(cached.payload) : undefined;
  }

  async verifyRefresh(token: string): Promise<RefreshClaims> {
    const p = await this.#verify(token);
    if (p.typ !== "refresh" || typeof p.sub !== "string" || p.email !== "" || typeof p.session_id !== "string") {
      throw new CoreError("UNAUTHORIZED", "invalid token type");
    }
    if (!UUID.test(p.session_id)) throw new CoreError("UNAUTHORIZED", "invalid token: malformed session_id claim");
    checkLifetime(p, REFRESH_TTL_SECONDS);
    return { sub: p.sub, sessionId: p.session_id };
  }
}

/** An access token's claims from its verified payload: any other kind of token, or one without a session, is refused. */
function accessClaims(p: JWTPayload): AccessClaims & { exp: number } {
  if (p.typ !== "access" || typeof p.sub !== "string" || typeof p.email !== "string" || p.email === "" || "session_id" in p) {
    throw new CoreError("UNAUTHORIZED", "invalid token type");
  }
  // Without a session the token could not be ended by logout, revocation or a password reset.
  if (typeof p.sid !== "string") throw new CoreError("UNAUTHORIZED", "invalid token: missing sid claim");
  if (!UUID.test(p.sid)) throw new CoreError("UNAUTHORIZED", "invalid token: malformed sid claim");
  checkLifetime(p, ACCESS_TTL_SECONDS);
  return { sub: p.sub, email: p.email, sid: p.sid, exp: p.exp! };
}

/**
 * A token signed with the right key may still claim more than this Core ever issues: a lifetime longer than the
 * configured one, or an issue time ahead of the clock (which would stretch any age check). Both are refused.
 */
function checkLifetime(p: JWTPayload, maxSeconds: number): void {
  const { iat, exp } = p as { iat: number; exp: number }; // presence and type checked by jwtVerify
  if (iat > Date.now() / 1000 + CLOCK_SKEW_SECONDS) throw new CoreError("UNAUTHORIZED", "invalid token: issued in the future");
  if (exp - iat > maxSeconds) throw new CoreError("UNAUTHORIZED", `invalid token: lifetime exceeds ${maxSeconds} s`);
}

/** Only this digest of a refresh token is stored. */
export function hashRefreshToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
