import { createHash, randomBytes } from "node:crypto";
import { errors, jwtVerify, SignJWT } from "jose";
import { CoreError } from "../errors.ts";

export const ACCESS_TTL_SECONDS = 15 * 60;
export const REFRESH_TTL_SECONDS = 30 * 24 * 60 * 60;

export interface AccessClaims {
  sub: string;
  email: string;
  sid: string | undefined;
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
  readonly #key: Uint8Array;

  constructor(secret: string) {
    this.#key = new TextEncoder().encode(secret);
  }

  signAccess(c: AccessClaims): Promise<string> {
    return new SignJWT({ email: c.email, typ: "access", ...(c.sid ? { sid: c.sid } : {}) })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(c.sub)
      .setIssuedAt()
      .setExpirationTime(`${ACCESS_TTL_SECONDS}s`)
      .sign(this.#key);
  }

  signRefresh(c: RefreshClaims): Promise<string> {
    return new SignJWT({ email: "", session_id: c.sessionId, typ: "refresh" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(c.sub)
      .setJti(randomBytes(16).toString("hex"))
      .setIssuedAt()
      .setExpirationTime(`${REFRESH_TTL_SECONDS}s`)
      .sign(this.#key);
  }

  async #verify(token: string): Promise<Record<string, unknown>> {
    try {
      // The algorithm is pinned: "none", RS256-with-the-secret-as-public-key and friends are all refused.
      const { payload } = await jwtVerify(token, this.#key, { algorithms: ["HS256"] });
      return payload;
    } catch (err) {
      throw new CoreError("UNAUTHORIZED", err instanceof errors.JWTExpired ? "token expired" : "invalid token");
    }
  }

  async verifyAccess(token: string): Promise<AccessClaims> {
    const p = await this.#verify(token);
    if (p.typ !== "access" || typeof p.sub !== "string" || typeof p.email !== "string" || p.email === "" || "session_id" in p) {
      throw new CoreError("UNAUTHORIZED", "invalid token type");
    }
    return { sub: p.sub, email: p.email, sid: typeof p.sid === "string" ? p.sid : undefined };
  }

  async verifyRefresh(token: string): Promise<RefreshClaims> {
    const p = await this.#verify(token);
    if (p.typ !== "refresh" || typeof p.sub !== "string" || p.email !== "" || typeof p.session_id !== "string") {
      throw new CoreError("UNAUTHORIZED", "invalid token type");
    }
    return { sub: p.sub, sessionId: p.session_id };
  }
}

/** Only this digest of a refresh token is stored. */
export function hashRefreshToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
