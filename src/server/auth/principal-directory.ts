import type pg from "pg";
import { NotifyListener } from "../db/notify-listener.ts";
import type { Logger } from "pino";
import type { Queryable } from "../db/queryable.ts";
import { resolvePermissions } from "../governance/permissions.ts";

export interface PrincipalUser {
  id: string;
  email: string;
  displayName: string | null;
  createdAt: Date;
  disabled: boolean;
  /** "service" for a service account (spec §0), else "human". */
  kind: "human" | "service";
}

/** Another cache that must forget what it holds on the same notifications (identities' API keys). */
export interface AuthChangeSubscriber {
  /** `kind` is the payload's first part (user or session), `id` the rest. */
  changed(kind: string, id: string): void;
  /** Notifications may have been missed: drop everything. */
  reset(): void;
}

interface SessionEntry {
  userId: string;
  expiresAt: number;
}

const CHANNEL = "rootcx_auth";
/** Sent by a trigger on every change to roles or assignments (migration 0005). */
const RBAC_CHANNEL = "rootcx_rbac";
const TTL_MS = 10_000;

/** Tells every Core process that a user or session changed; delivered when the surrounding transaction commits. */
export async function notifyAuthChange(db: Queryable, kind: "user" | "session", id: string): Promise<void> {
  await db.query("SELECT pg_notify($1, $2)", [CHANNEL, `${kind}:${id}`]);
}

/**
 * Answers "does this user still exist, enabled, and is this session still open?" on every authenticated
 * request. Answers are cached briefly; a change (disable, delete, logout, revoke) reaches every process through
 * LISTEN/NOTIFY and this process synchronously, so a disabled user's next request is refused. While the
 * LISTEN connection is down nothing is cached and every request reads the database.
 */
export class PrincipalDirectory {
  readonly #users = new Map<string, { user: PrincipalUser | null; at: number }>();
  readonly #sessions = new Map<string, { session: SessionEntry | null; at: number }>();
  readonly #permissions = new Map<string, { permissions: string[]; at: number }>();
  #epoch = 0;
  readonly #listener: NotifyListener;
  readonly #subscribers = new Set<AuthChangeSubscriber>();

  constructor(
    private readonly pool: pg.Pool,
    databaseUrl: string,
    log: Logger,
  ) {
    this.#listener = new NotifyListener(databaseUrl, log, "auth change", {
      [CHANNEL]: (payload) => {
        const [kind, id] = payload.split(":");
        if (kind && id) {
          if (kind === "user" || kind === "session") this.invalidate(kind, id);
          for (const s of this.#subscribers) s.changed(kind, id);
        }
      },
      [RBAC_CHANNEL]: () => this.invalidatePermissions(),
    }, () => this.#clear());
  }

  get #listening(): boolean {
    return this.#listener.listening;
  }

  /** Whether notifications are arriving, so that a subscriber may trust what it cached. */
  get listening(): boolean {
    return this.#listener.listening;
  }

  /** Hears every auth-change notification and every reset, for caches kept outside this directory. */
  subscribe(s: AuthChangeSubscriber): void {
    this.#subscribers.add(s);
  }

  start(): Promise<void> {
    return this.#listener.start();
  }

  stop(): Promise<void> {
    return this.#listener.stop();
  }

  /** Forgets what this process knows about a user or session; call after the change has committed. */
  invalidate(kind: "user" | "session", id: string): void {
    this.#epoch++;
    if (kind === "user") {
      this.#users.delete(id);
      for (const [sid, entry] of this.#sessions) if (entry.session?.userId === id) this.#sessions.delete(sid);
    } else {
      this.#sessions.delete(id);
    }
  }

  /** Forgets every resolved permission set; call after a role or assignment change has committed. */
  invalidatePermissions(): void {
    this.#epoch++;
    this.#permissions.clear();
  }

  #clear(): void {
    this.#epoch++;
    this.#users.clear();
    this.#sessions.clear();
    this.#permissions.clear();
    for (const s of this.#subscribers) s.reset();
  }

  /** The user's permissions when this process holds them fresh, without waiting: the governed hot path asks first. */
  cachedPermissions(userId: string): string[] | undefined {
    const cached = this.#listening ? this.#permissions.get(userId) : undefined;
    return cached && Date.now() - cached.at < TTL_MS ? cached.permissions : undefined;
  }

  /** The user's permissions through its roles, cached like the principal itself. */
  async permissions(userId: string): Promise<string[]> {
    const now = Date.now();
    const cached = this.cachedPermissions(userId);
    if (cached) return cached;
    const epoch = this.#epoch;
    const { permissions } = await resolvePermissions(this.pool, userId);
    if (this.#listening && epoch === this.#epoch) this.#permissions.set(userId, { permissions, at: now });
    return permissions;
  }

  /**
   * The user if it exists, is a person or a service account (no other system principal), is enabled, and the
   * session is open, unexpired and its own.
   */
  async lookup(userId: string, sessionId: string): Promise<PrincipalUser | undefined> {
    const cached = this.cachedLookup(userId, sessionId);
    if (cached !== undefined) return cached ?? undefined;
    const now = Date.now();
    const epoch = this.#epoch;
    const { rows } = await this.pool.query<PrincipalUser & { session_user: string | null; session_expires: Date | null }>(
      `SELECT u.id, u.email, u.display_name AS "displayName", u.created_at AS "createdAt",
              u.disabled_at IS NOT NULL AS disabled, u.kind, s.user_id AS session_user, s.expires_at AS session_expires
         FROM rootcx_system.users u
         LEFT JOIN rootcx_system.sessions s ON s.id = $2::uuid
        WHERE u.id = $1::uuid AND (NOT u.is_system OR (u.kind = 'service' AND u.owner_of_record IS NOT NULL))`,
      [userId, sessionId],
    );
    const row = rows[0];
    const user: PrincipalUser | null = row ? { id: row.id, email: row.email, displayName: row.displayName, createdAt: row.createdAt, disabled: row.disabled, kind: row.kind } : null;
    const session: SessionEntry | null = row?.session_user && row.session_expires ? { userId: row.session_user, expiresAt: row.session_expires.getTime() } : null;
    // A change that committed while this read was in flight bumped the epoch: do not cache a stale answer.
    if (this.#listening && epoch === this.#epoch) {
      this.#users.set(userId, { user, at: now });
      // Without a user row the join read nothing of the session: caching "no session" would end that session
      // (someone else's, for a token naming another subject) for every request until the entry expires.
      if (row) this.#sessions.set(sessionId, { session, at: now });
    }
    return admitted(user, session, userId, now) ?? undefined;
  }

  /**
   * lookup without waiting, when this process holds both the user and the session fresh: the user, or null when
   * it is refused; undefined when the database must be asked.
   */
  cachedLookup(userId: string, sessionId: string): PrincipalUser | null | undefined {
    if (!this.#listening) return undefined;
    const now = Date.now();
    const cachedUser = this.#users.get(userId);
    const cachedSession = this.#sessions.get(sessionId);
    if (!cachedUser || now - cachedUser.at >= TTL_MS || !cachedSession || now - cachedSession.at >= TTL_MS) return undefined;
    return admitted(cachedUser.user, cachedSession.session, userId, now);
  }
}

/** The user when it exists, is enabled, and the session is its own and unexpired; null otherwise. */
function admitted(user: PrincipalUser | null, session: SessionEntry | null | undefined, userId: string, now: number): PrincipalUser | null {
  if (!user || user.disabled) return null;
  if (!session || session.userId !== userId || session.expiresAt <= now) return null;
  return user;
}
