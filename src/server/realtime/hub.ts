import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import type { Logger } from "pino";
import { lostAuthentication } from "../auth/authenticate.ts";
import type { Principal } from "../auth/principal.ts";
import type { EntityModel } from "../apps/registry.ts";
import type { Core } from "../core.ts";
import { NotifyListener } from "../db/notify-listener.ts";
import { CoreError } from "../errors.ts";
import type { RealtimeFrame, RealtimeLimits } from "./schema.ts";
import { DEFAULT_REALTIME_LIMITS } from "./schema.ts";
import * as sql from "./sql.ts";
import type { ChangeRow } from "./sql.ts";
import { Subscription, tableKey, type FrameSink } from "./subscription.ts";
import { holdsPermission } from "../governance/permissions.ts";
import { answersFor, decide, eventsFor } from "./visibility.ts";

export interface SubscribeOptions {
  entity: EntityModel;
  principal: Principal;
  where: Record<string, unknown> | undefined;
  /** The Last-Event-ID the client resumes from. */
  after: number | undefined;
  sink: FrameSink;
}

const pgCode = (err: unknown) => (typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined);

/**
 * Realtime change streams on this Core (docs/REALTIME.md). Every Core LISTENs for the seq that committing
 * transactions announce, reads the new changes from rootcx_system.realtime_changes once, and serves its own
 * subscribers: per table, subscribers are grouped by what decides their view (their permissions and their
 * where), and each group costs one governed statement per batch, whatever its size.
 */
export class RealtimeHub {
  readonly limits: RealtimeLimits;
  readonly #pool: pg.Pool;
  readonly #log: Logger;
  readonly #listener: NotifyListener;
  readonly #subs = new Map<string, Set<Subscription>>();
  readonly #ensured = new Set<string>();
  /** Open streams per principal (user id), for maxSubscribersPerPrincipal. */
  readonly #perPrincipal = new Map<string, number>();
  #core: Core | undefined;
  #count = 0;
  /** The last seq read from the log: every subscriber is served up to it, or is catching up to it. */
  #cursor = 0;
  #pumping: Promise<void> | undefined;
  #again = false;
  #timers: NodeJS.Timeout[] = [];
  #stopped = false;
  /** Counters for /metrics. */
  events = 0;
  resyncs = 0;

  constructor(opts: { pool: pg.Pool; databaseUrl: string; log: Logger; limits?: Partial<RealtimeLimits> }) {
    this.limits = { ...DEFAULT_REALTIME_LIMITS, ...opts.limits };
    this.#pool = opts.pool;
    this.#log = opts.log;
    // A (re)connected listener may have missed notifications: read the log, which missed nothing.
    this.#listener = new NotifyListener(opts.databaseUrl, opts.log, "realtime", { [sql.REALTIME_CHANNEL]: () => this.#pump() }, () => this.#pump());
  }

  async start(core: Core): Promise<void> {
    this.#core = core;
    this.#cursor = (await sql.headSeq(this.#pool)).head;
    await this.#listener.start();
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, ms);
      t.unref();
      this.#timers.push(t);
    };
    every(this.limits.pollMs, () => {
      if (this.#count === 0) return;
      this.#pump();
      // A client that stopped reading while nothing more was written is judged on what it left unread too.
      const now = Date.now();
      for (const set of this.#subs.values()) for (const s of [...set]) s.checkDrain(now);
    });
    every(this.limits.pruneEveryMs, () => void sql.prune(this.#pool, this.limits.windowMs).catch((err: unknown) => this.#log.warn({ err }, "could not prune the realtime change log")));
    every(this.limits.accessRecheckMs, () => void this.#recheckAccess());
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    for (const set of this.#subs.values()) for (const s of [...set]) s.end("the Core is shutting down");
    await this.#pumping;
    await this.#listener.stop();
  }

  stats(): { subscribers: number } {
    return { subscribers: this.#count };
  }

  /** The most bytes any open stream leaves unread in this process now (bounded by maxBurstBytes plus a batch). */
  maxUnreadBytes(): number {
    let max = 0;
    for (const set of this.#subs.values()) for (const s of set) max = Math.max(max, s.unread);
    return max;
  }

  /**
   * Refuses a new stream when this Core is shutting down or holds as many as it may, in all or for this principal
   * (429, retry later): one caller opening hundreds of streams must not cost everyone else their latency.
   */
  assertRoom(principal: Principal): void {
    if (this.#stopped) throw new CoreError("NOT_READY", "the Core is shutting down");
    if (this.#count >= this.limits.maxSubscribers) {
      throw new CoreError("TOO_MANY_REQUESTS", `too many open change streams on this Core (${this.limits.maxSubscribers}); close one and retry`, { headers: { "retry-after": "5" } });
    }
    if ((this.#perPrincipal.get(principal.userId) ?? 0) >= this.limits.maxSubscribersPerPrincipal) {
      throw new CoreError("TOO_MANY_REQUESTS", `too many open change streams for this user (${this.limits.maxSubscribersPerPrincipal} per Core); close one and retry`, { headers: { "retry-after": "5" } });
    }
  }

  /**
   * Opens a subscription: live from now, or from `after` when the log still holds everything since (else a
   * resync first, then live). The capture trigger is installed on a table that predates it.
   */
  async subscribe(o: SubscribeOptions): Promise<Subscription> {
    this.assertRoom(o.principal);
    await this.#ensureCapture(o.entity);
    let resync: string | undefined;
    if (o.after !== undefined) {
      // The client may come from another Core that read the log a moment before this one: catch up to its id first.
      for (let i = 0; i < 50 && o.after > this.#cursor && !this.#stopped; i++) {
        this.#pump();
        await this.#pumping;
        if (o.after > this.#cursor) await sleep(20);
      }
      // An id this database never gave out (another database, a restored backup): the client's view is unknown.
      if (o.after > this.#cursor) resync = `event ${o.after} is not known to this Core`;
      else if (o.after < (await sql.prunedThrough(this.#pool))) resync = `changes after event ${o.after} are no longer kept (${Math.round(this.limits.windowMs / 1000)} s window)`;
    }
    this.assertRoom(o.principal);
    // From here to the end nothing awaits: the subscriber's position and the hub's cursor are read together.
    const replay = o.after !== undefined && resync === undefined && o.after < this.#cursor;
    const sub = new Subscription(o.entity, o.principal, o.where, replay ? o.after! : this.#cursor, o.sink, this.limits, (s, kind) => this.#remove(s, kind));
    let set = this.#subs.get(sub.tableKey);
    if (!set) this.#subs.set(sub.tableKey, (set = new Set()));
    set.add(sub);
    this.#count++;
    this.#perPrincipal.set(o.principal.userId, (this.#perPrincipal.get(o.principal.userId) ?? 0) + 1);
    if (resync !== undefined) sub.resync(resync);
    else if (replay) {
      sub.catchingUp = true;
      void this.#catchUp(sub);
    }
    return sub;
  }

  #remove(sub: Subscription, kind: "resync" | "end" | "closed"): void {
    const set = this.#subs.get(sub.tableKey);
    if (!set?.delete(sub)) return;
    this.#count--;
    const left = (this.#perPrincipal.get(sub.principal.userId) ?? 1) - 1;
    if (left > 0) this.#perPrincipal.set(sub.principal.userId, left);
    else this.#perPrincipal.delete(sub.principal.userId);
    if (kind === "resync") this.resyncs++;
    if (set.size === 0) this.#subs.delete(sub.tableKey);
  }

  async #ensureCapture(entity: EntityModel): Promise<void> {
    const key = tableKey(entity.appId, entity.name);
    if (this.#ensured.has(key)) return;
    await sql.ensureCapture(this.#pool, entity.table, entity.appId, entity.name);
    this.#ensured.add(key);
  }

  /** One reader of the log at a time, in order; a NOTIFY during a read asks for one more round. */
  #pump(): void {
    if (this.#stopped) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = this.#drain()
      .catch((err: unknown) => this.#log.warn({ err }, "could not read the realtime change log"))
      .finally(() => {
        this.#pumping = undefined;
        if (this.#again) {
          this.#again = false;
          this.#pump();
        }
      });
  }

  async #drain(): Promise<void> {
    for (;;) {
      const rows = await sql.changesAfter(this.#pool, this.#cursor, this.limits.batchSize);
      if (rows.length === 0) return;
      const from = this.#cursor;
      const to = rows[rows.length - 1]!.seq;
      if (rows[0]!.seq > from + 1 && (await sql.prunedThrough(this.#pool)) > from) {
        // This Core fell behind the window (a stall of minutes): its subscribers missed changes.
        for (const set of this.#subs.values()) for (const s of [...set]) s.resync("this Core fell behind the change log's window");
      }
      this.#cursor = to;
      await this.#deliverBatch(rows, from, to);
      if (rows.length < this.limits.batchSize) return;
    }
  }

  /** Serves every live subscriber the batch (from, to]: subscribers of the tables it touches get their events. */
  async #deliverBatch(rows: ChangeRow[], from: number, to: number): Promise<void> {
    const byTable = new Map<string, ChangeRow[]>();
    for (const r of rows) {
      const key = tableKey(r.app_id, r.entity);
      const list = byTable.get(key);
      if (list) list.push(r);
      else byTable.set(key, [r]);
    }
    const work: Promise<void>[] = [];
    for (const [key, set] of this.#subs) {
      const targets = [...set].filter((s) => s.position === from && !s.ended);
      for (const s of targets) s.position = to;
      const changes = byTable.get(key);
      if (changes && targets.length) work.push(this.#serve(targets, changes));
    }
    await Promise.all(work);
  }

  /**
   * Groups the table's subscribers by permissions, then by where, and sends. A principal without the entity's
   * read key costs nothing: that is decided from its permission set in memory, before any statement (the policy
   * would answer the same). Each permission set then costs one statement per batch for up to
   * wheresPerStatement distinct wheres (visibility.ts), so many filters do not mean many round trips.
   */
  async #serve(targets: Subscription[], changes: ChangeRow[]): Promise<void> {
    const core = this.#core!;
    const entity = targets[0]!.entity;
    const readKey = `app:${entity.appId}:${entity.name}.read`;
    const checked = await this.#accessOfAll(targets);
    const bySet = new Map<string, { principal: Principal; permissions: string[]; byWhere: Map<string, { where: Record<string, unknown> | undefined; members: Subscription[] }> }>();
    for (const { s, access } of checked) {
      if ("lost" in access) {
        s.end(access.lost);
        continue;
      }
      if (!holdsPermission(access.permissions, readKey)) continue;
      const setKey = access.permissions.join(",");
      let set = bySet.get(setKey);
      if (!set) bySet.set(setKey, (set = { principal: s.principal, permissions: access.permissions, byWhere: new Map() }));
      const w = set.byWhere.get(s.whereKey);
      if (w) w.members.push(s);
      else set.byWhere.set(s.whereKey, { where: s.where, members: [s] });
    }
    const work: Promise<void>[] = [];
    for (const { principal, permissions, byWhere } of bySet.values()) {
      const all = [...byWhere.values()];
      for (let i = 0; i < all.length; i += this.limits.wheresPerStatement) {
        const chunk = all.slice(i, i + this.limits.wheresPerStatement);
        work.push(this.#serveChunk(core, entity, principal, permissions, chunk, changes));
      }
    }
    await Promise.all(work);
  }

  async #serveChunk(
    core: Core,
    entity: EntityModel,
    principal: Principal,
    permissions: string[],
    chunk: { where: Record<string, unknown> | undefined; members: Subscription[] }[],
    changes: ChangeRow[],
  ): Promise<void> {
    try {
      const answers = await answersFor(core, entity, { principal, permissions, wheres: chunk.map((c) => c.where) }, changes);
      if (!answers) return;
      chunk.forEach(({ members }, i) => {
        const frames: RealtimeFrame[] = decide(changes, answers[i]!).map((e) => ({ kind: "change", seq: String(e.seq), event: e.event }));
        for (const m of members) {
          if (m.ended) continue;
          m.deliver(frames);
          if (!m.catchingUp) this.events += frames.length;
        }
      });
    } catch (err) {
      this.#failed(chunk.flatMap((c) => c.members), err);
    }
  }

  /** A statement that failed: the table or a column went away (an uninstall, a re-install), or the database did. */
  #failed(members: Subscription[], err: unknown): void {
    const code = pgCode(err);
    if (code === "42P01" || code === "3F000" || code === "42703" || code === "42804") {
      for (const m of members) m.end("the entity's schema changed or it was uninstalled; subscribe again");
      return;
    }
    this.#log.warn({ err }, "could not deliver realtime changes");
    for (const m of members) m.resync("the Core could not deliver some changes");
  }

  /** The subscriber's permissions now, or why it may no longer receive anything (signed out, disabled, key deleted). */
  async #access(s: Subscription): Promise<{ permissions: string[] } | { lost: string }> {
    const core = this.#core!;
    const lost = await lostAuthentication(core, s.principal);
    if (lost) return { lost: `change stream ended: ${lost}` };
    const permissions = [...(await core.auth.principals.permissions(s.principal.userId))].sort();
    return { permissions };
  }

  /** One check per principal (a person with several tabs open, a service with many streams), not per stream. */
  #accessOfAll(subs: Subscription[]): Promise<{ s: Subscription; access: { permissions: string[] } | { lost: string } }[]> {
    const byPrincipal = new Map<string, Promise<{ permissions: string[] } | { lost: string }>>();
    return Promise.all(
      subs.map(async (s) => {
        const key = `${s.principal.userId}\n${s.principal.sessionId ?? ""}\n${s.principal.credentialId ?? ""}`;
        let access = byPrincipal.get(key);
        if (!access) byPrincipal.set(key, (access = this.#access(s)));
        return { s, access: await access };
      }),
    );
  }

  /** Idle streams too: a principal that lost access stops, whether or not changes arrive. */
  async #recheckAccess(): Promise<void> {
    try {
      const all = [...this.#subs.values()].flatMap((set) => [...set]);
      for (const { s, access } of await this.#accessOfAll(all)) if ("lost" in access) s.end(access.lost);
    } catch (err) {
      this.#log.warn({ err }, "could not re-check the change streams' access");
    }
  }

  /** Replays (Last-Event-ID, cursor] for one subscriber, then joins it to the live batches. */
  async #catchUp(sub: Subscription): Promise<void> {
    const core = this.#core!;
    try {
      while (!sub.ended && sub.position < this.#cursor) {
        const from = sub.position;
        const upTo = this.#cursor;
        const rows = await sql.tableChanges(this.#pool, sub.entity.appId, sub.entity.name, from, upTo, this.limits.batchSize);
        // Served up to the last row read, or to upTo when the table had no more changes in the range.
        sub.position = rows.length === this.limits.batchSize ? rows[rows.length - 1]!.seq : upTo;
        if (rows.length === 0) continue;
        const access = await this.#access(sub);
        if ("lost" in access) return sub.end(access.lost);
        const events = await eventsFor(core, sub.entity, { principal: sub.principal, permissions: access.permissions, where: sub.where }, rows);
        sub.deliver(events.map((e) => ({ kind: "change", seq: String(e.seq), event: e.event })), true);
        this.events += events.length;
      }
      sub.caughtUp();
    } catch (err) {
      this.#failed([sub], err);
    }
  }
}
