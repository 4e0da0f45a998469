import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type pg from "pg";
import type { Core } from "../../core.ts";
import { withTransaction } from "../../db/queryable.ts";
import { CoreError } from "../../errors.ts";
import { actAs, withActor } from "../../governance/actor.ts";
import { recordAdminEvent } from "../../governance/admin-events.ts";
import { BASE_ROLE } from "../../governance/permissions.ts";
import type { Principal } from "../principal.ts";
import { notifyAuthChange } from "../principal-directory.ts";
import type { ClientMeta } from "../service.ts";
import { toUserDto } from "../sql.ts";
import { mailConfigured, sendSignInLink } from "./mailer.ts";
import { beforeLinkRequest } from "./request-limit.ts";
import type { ConsumeResult, GenerateInput, GenerateResult, MailStatus, RequestInput, TokenDelivery } from "./schema.ts";
import { DEFAULT_EXPIRY_SECONDS, TOKEN_PATTERN } from "./schema.ts";
import { issueAuthNonce } from "../auth-nonce.ts";
import { openSession } from "../session.ts";
import { checkRedirectUri } from "../token-delivery.ts";
import { assertMakerStillGrants, INVITE_KEY, inviteAuthority } from "./authority.ts";
import { assertPersonActs } from "../../identities/no-escalation.ts";
import * as sql from "./sql.ts";

export { INVITE_KEY };

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");
const invalidLink = () => new CoreError("UNAUTHORIZED", "this sign-in link is invalid, expired or already used");
const accountExistsNow = () =>
  new CoreError("CONFLICT", "this invitation was for a new account, and an account with this address exists now; sign in normally");

/** The address a link opens: the Core's consume endpoint, on its public URL (what the mail recipient can reach). */
const linkUrl = (core: Core, token: string) => `${core.config.publicUrl}/api/v1/auth/magic-link/consume?token=${token}`;

/** Where self-service links land by default: the Studio's sign-in page, which exchanges the auth nonce. */
export const studioLanding = (core: Core) => `${core.config.publicUrl}/login`;

interface StoredLink {
  token: string;
  expiresAt: Date;
}

/**
 * Makes a link for an address. Administrators (`*`) may confer any existing role and sign anyone in; a holder of
 * `auth.invite` only invites people who have no account yet (a link for an existing account would let the
 * inviter sign in as that person) and confers only roles it holds itself.
 */
export async function generate(core: Core, principal: Principal, input: GenerateInput): Promise<GenerateResult> {
  // A link signs someone in as a person (an invitation makes one): a key could otherwise mint itself a person.
  assertPersonActs(principal, "make sign-in links");
  const held = await inviteAuthority(core.db.pool, principal.userId);
  const admin = held.admin;
  if (!admin && !held.invite) throw new CoreError("FORBIDDEN", `permission required: ${INVITE_KEY}`);

  const link = await withActor(core, principal, async (tx): Promise<StoredLink> => {
    const unknown = await sql.unknownRoles(tx, input.roles);
    if (unknown.length > 0) throw new CoreError("BAD_REQUEST", `unknown role${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`);
    if (!admin) {
      const notHeld = input.roles.filter((r) => !held.roles.includes(r));
      if (notHeld.length > 0) throw new CoreError("FORBIDDEN", `you can only confer roles you hold yourself; not held: ${notHeld.join(", ")}`);
    }
    const account = await sql.findAccount(tx, input.email);
    if (account) {
      if (account.is_system || account.kind !== "human") throw new CoreError("BAD_REQUEST", `${input.email} is not a person's account`);
      if (account.disabled_at) throw new CoreError("BAD_REQUEST", `the account ${input.email} is disabled`);
      if (!admin) throw new CoreError("FORBIDDEN", "only an administrator can make a sign-in link for an existing account");
    }
    const stored = await store(tx, {
      email: input.email,
      roles: input.roles,
      redirectUri: input.redirectUri ?? null,
      tokenDelivery: input.redirectUri ? (input.tokenDelivery ?? "nonce") : null,
      createdBy: principal.userId,
      forAccount: account?.id ?? null,
      selfService: false,
      expiresInSeconds: input.expiresInSeconds,
    });
    // The token and its hash stay out of the log: the row says who invited whom, with which roles, until when.
    await recordAdminEvent(tx, {
      action: "auth.magic_link",
      target: stored.id,
      after: { email: input.email, roles: input.roles, expires_at: stored.expiresAt.toISOString(), existing_account: account !== undefined },
    });
    return stored;
  });

  const url = linkUrl(core, link.token);
  const mail: MailStatus = !mailConfigured(core) ? "not_configured" : (await sendSignInLink(core, input.email, url, link.expiresAt, "invitation")) ? "sent" : "failed";
  core.log.info({ by: principal.userId, mail }, "magic link generated");
  return { magicLinkUrl: url, expiresAt: link.expiresAt.toISOString(), sent: mail === "sent", mail };
}

/** 32 random bytes, base64url (43 characters); only the SHA-256 is kept. */
async function store(tx: pg.PoolClient, l: Omit<sql.NewLink, "tokenHash">): Promise<StoredLink & { id: string }> {
  const token = randomBytes(32).toString("base64url");
  const { id, expiresAt } = await sql.insertLink(tx, { ...l, tokenHash: hashToken(token) });
  return { id, token, expiresAt };
}

/**
 * "E-mail me a sign-in link" for an existing, enabled person's account. The answer is the same whether or not
 * the address has an account.
 */
export async function requestLink(core: Core, input: RequestInput, meta: ClientMeta): Promise<{ message: string }> {
  if (!mailConfigured(core)) throw new CoreError("NOT_FOUND", "e-mailed sign-in links are not available on this Core (no outgoing mail is configured)");
  // Nobody vouches for who asks, so the link may only lead back to this Core (or a local app), never elsewhere.
  const redirect = checkRedirectUri(core, input.redirectUri ?? studioLanding(core));
  await beforeLinkRequest(core, meta.ip, input.email);
  // Looked up, stored and sent after answering: the answer's timing does not depend on the account existing.
  void mailLinkIfPerson(core, input.email, redirect).catch((err: unknown) => core.log.warn({ err: (err as Error).message }, "self-service sign-in link failed"));
  return { message: "If an account exists for this address, a sign-in link is on its way. It works once, for 15 minutes." };
}

async function mailLinkIfPerson(core: Core, email: string, redirect: string): Promise<void> {
  const account = await sql.findAccount(core.db.pool, email);
  if (!account || account.is_system || account.kind !== "human" || account.disabled_at) return;
  const link = await withTransaction(core.db.pool, (tx) =>
    store(tx, {
      email,
      roles: [],
      redirectUri: redirect,
      tokenDelivery: "nonce",
      createdBy: null,
      forAccount: account.id,
      selfService: true,
      expiresInSeconds: DEFAULT_EXPIRY_SECONDS,
    }),
  );
  await sendSignInLink(core, email, linkUrl(core, link.token), link.expiresAt, "self_service");
}

/** Whether a link, used or not, names a redirect: its consumer is then a browser, whatever it accepts. */
export async function linkRedirects(core: Core, token: string): Promise<boolean> {
  return TOKEN_PATTERN.test(token) && sql.linkHasRedirect(core.db.pool, hashToken(token));
}

/** What a consumption yields: a session, or (a browser following a nonce-mode link) an auth nonce for it. */
export type SessionConsumed = { kind: "session"; tokenDelivery: TokenDelivery | null } & ConsumeResult;
export type Consumed = SessionConsumed | { kind: "nonce"; nonce: string; redirectUri: string; userId: string };

/**
 * Uses a link: marks it consumed (once, under concurrency), re-checks that its maker can still grant it, finds
 * the account it was made for or creates the invited person's account (with `base`, as registration does),
 * assigns the link's roles and opens a session, all in one transaction. An invitation for a new account never
 * opens an account that exists by the time it is used: whoever holds the link is not vouched for as that
 * account's owner (an auth.invite holder could otherwise invite an address and wait for it to become an admin). A browser that opened a nonce-mode
 * link (`viaRedirect`) gets an auth nonce instead, and the session opens when the page exchanges it.
 */
export async function consume(core: Core, token: string, meta: ClientMeta, viaRedirect: false): Promise<SessionConsumed>;
export async function consume(core: Core, token: string, meta: ClientMeta, viaRedirect: true, browserLanding: string | null): Promise<Consumed>;
export async function consume(core: Core, token: string, meta: ClientMeta, viaRedirect: boolean, browserLanding: string | null = null): Promise<Consumed> {
  if (!TOKEN_PATTERN.test(token)) throw new CoreError("BAD_REQUEST", "token is not a sign-in link token");
  const hash = hashToken(token);
  const result = await withTransaction(core.db.pool, async (tx): Promise<Consumed> => {
    const link = await sql.consumeLink(tx, hash);
    // The row was found by its hash; comparing the hashes again in constant time keeps the decision itself
    // free of early exits, whatever index the lookup used.
    if (!link || !timingSafeEqual(Buffer.from(link.token_hash, "hex"), Buffer.from(hash, "hex"))) throw invalidLink();
    await assertMakerStillGrants(tx, link);
    // The link's maker is the audit's actor for the account and roles it creates; a self-service link has none.
    let account = await sql.findAccount(tx, link.email);
    await actAs(core, tx, link.created_by ?? account?.id ?? null, link.created_by ? "control_plane" : "magic_link");
    let created = false;
    if (account) {
      if (account.id !== link.for_account) throw accountExistsNow();
    } else {
      // A self-service link whose account was deleted since: nobody invited this address.
      if (link.self_service) throw invalidLink();
      account = await sql.insertAccount(tx, link.email);
      // Another link (or a sign-up) created the account at this very moment: rolled back, this link stays unused,
      // and as an invitation for a new account it cannot open that one either.
      if (!account) throw accountExistsNow();
      created = true;
    }
    if (account.is_system || account.kind !== "human") throw new CoreError("FORBIDDEN", "this sign-in link is not for a person's account");
    if (account.disabled_at) throw new CoreError("FORBIDDEN", "this account is disabled");
    const assigned = await sql.assignRoles(tx, account.id, created ? [BASE_ROLE, ...link.roles] : link.roles);
    if (created) {
      await recordAdminEvent(tx, { action: "user.create", target: account.id, after: { email: account.email, roles: assigned, via: "magic_link" } });
    } else {
      await recordAdminEvent(tx, {
        action: "auth.magic_link_sign_in",
        target: link.id,
        after: { account: account.id, email: account.email, made_by: link.created_by, self_service: link.self_service, roles: assigned },
      });
    }
    if (assigned.length > 0) await notifyAuthChange(tx, "user", account.id);
    // A browser opening a link without a redirect goes to the Studio's sign-in page, in nonce mode.
    const landing = link.redirect_uri && link.token_delivery === "nonce" ? link.redirect_uri : link.redirect_uri ? null : browserLanding;
    if (viaRedirect && landing) {
      return { kind: "nonce", nonce: await issueAuthNonce(tx, account.id), redirectUri: landing, userId: account.id };
    }
    const session = await openSession(core, tx, account, meta);
    return { kind: "session", ...session, user: toUserDto(account), redirectUri: link.redirect_uri, tokenDelivery: link.token_delivery };
  });
  core.auth.principals.invalidatePermissions();
  core.log.info({ userId: result.kind === "session" ? result.user.id : result.userId }, "signed in with a magic link");
  return result;
}
