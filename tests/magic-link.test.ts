import { createHash } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { linkIn, startSmtpSink, type SmtpSink } from "./smtp-sink.ts";

let smtp: SmtpSink;
let core: TestCore;
let db: pg.Pool;
let admin: Session;

const FROM = "RootCX <no-reply@rootcx.test>";
const tokenOf = (link: string) => new URL(link).searchParams.get("token")!;
const hash = (token: string) => createHash("sha256").update(token).digest("hex");

async function generate(body: unknown, token = admin.accessToken) {
  return api(core, "POST", "/api/v1/auth/magic-link/generate", body, token);
}

/** Follows nothing: the consume endpoint's own answer (a redirect stays a 307). */
async function openLink(link: string): Promise<Response> {
  return fetch(link.replace(/^https?:\/\/[^/]+/, core.url), { redirect: "manual" });
}

beforeAll(async () => {
  smtp = await startSmtpSink();
  core = await startTestCore({ env: { ROOTCX_SMTP_URL: smtp.url, ROOTCX_SMTP_FROM: FROM } });
  db = new pg.Pool({ connectionString: core.database.url, max: 2 });
  admin = await signUpAndIn(core, "admin@magic.test");
  const role = await api(core, "POST", "/api/v1/roles", { name: "inviter", permissions: ["auth.invite"] }, admin.accessToken);
  expect(role.status).toBe(200);
  expect((await api(core, "POST", "/api/v1/roles", { name: "support", permissions: [] }, admin.accessToken)).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await db?.end();
  await core?.dispose();
  await smtp?.close();
});

describe("magic links with a real SMTP server", () => {
  it("e-mails the link, returns it to the admin, and the link signs a new person in with its roles", async () => {
    const res = await generate({ email: "New.Person@Magic.test", roles: ["support"] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ sent: true, mail: "sent" });
    expect(res.body.magicLinkUrl).toMatch(/^http:\/\/localhost:\d+\/api\/v1\/auth\/magic-link\/consume\?token=[A-Za-z0-9_-]{43}$/);
    const expiresIn = (Date.parse(res.body.expiresAt) - Date.now()) / 1000;
    expect(expiresIn).toBeGreaterThan(14 * 60);
    expect(expiresIn).toBeLessThanOrEqual(15 * 60);

    const mail = await smtp.next("new.person@magic.test");
    expect(mail.from).toBe("no-reply@rootcx.test");
    expect(mail.text).toMatch(/Subject: Your sign-in link for localhost:\d+/);
    expect(linkIn(mail)).toBe(res.body.magicLinkUrl);

    // Only the hash is stored.
    const stored = await db.query("SELECT token_hash, email, roles FROM rootcx_system.magic_link_tokens WHERE token_hash = $1", [hash(tokenOf(res.body.magicLinkUrl))]);
    expect(stored.rows).toEqual([{ token_hash: hash(tokenOf(res.body.magicLinkUrl)), email: "new.person@magic.test", roles: ["support"] }]);
    const leaked = await db.query("SELECT 1 FROM rootcx_system.magic_link_tokens WHERE token_hash = $1 OR email = $1", [tokenOf(res.body.magicLinkUrl)]);
    expect(leaked.rowCount).toBe(0);

    const first = await openLink(linkIn(mail));
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toBe("no-store");
    const session = (await first.json()) as { accessToken: string; refreshToken: string; user: { email: string; id: string }; redirectUri: null };
    expect(session.user.email).toBe("new.person@magic.test");
    expect(session.redirectUri).toBeNull();
    const me = await api(core, "GET", "/api/v1/auth/me", undefined, session.accessToken);
    expect(me.status).toBe(200);
    expect(me.body.email).toBe("new.person@magic.test");
    const perms = await api(core, "GET", `/api/v1/permissions/${session.user.id}`, undefined, admin.accessToken);
    expect(perms.body.roles).toContain("support");

    const again = await openLink(linkIn(mail));
    expect(again.status).toBe(401);
    expect(await again.json()).toEqual({ error: "this sign-in link is invalid, expired or already used" });
  });

  it("audits every generation without the token", async () => {
    const res = await generate({ email: "audited@magic.test", roles: ["support"] });
    expect(res.status).toBe(201);
    const { rows } = await db.query(
      "SELECT table_name, actor_uid::text AS actor, new_record FROM rootcx_system.audit_log WHERE operation = 'auth.magic_link' ORDER BY id DESC LIMIT 1",
    );
    expect(rows[0]).toMatchObject({ table_name: "magic_link_tokens", actor: admin.userId, new_record: { email: "audited@magic.test", roles: ["support"], existing_account: false } });
    expect(JSON.stringify(rows[0])).not.toContain(tokenOf(res.body.magicLinkUrl));
    expect(JSON.stringify(rows[0])).not.toContain(hash(tokenOf(res.body.magicLinkUrl)));
  });

  it("two concurrent consumptions of one link yield exactly one session", async () => {
    const res = await generate({ email: "racer@magic.test" });
    const token = tokenOf(res.body.magicLinkUrl);
    const answers = await Promise.all(Array.from({ length: 8 }, () => api(core, "POST", "/api/v1/auth/magic-link/consume", { token })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
    const winner = answers.find((a) => a.status === 200)!;
    expect(winner.body.user.email).toBe("racer@magic.test");
    const sessions = await db.query("SELECT count(*)::int AS n FROM rootcx_system.sessions s JOIN rootcx_system.users u ON u.id = s.user_id WHERE u.email = $1", ["racer@magic.test"]);
    expect(sessions.rows[0].n).toBe(1);
  });

  it("an expired link fails; expiry is clamped to 60 s .. 24 h", async () => {
    const short = await generate({ email: "late@magic.test", expiresInSeconds: 5 });
    expect(short.status).toBe(201);
    const shortIn = (Date.parse(short.body.expiresAt) - Date.now()) / 1000;
    expect(shortIn).toBeGreaterThan(50);
    expect(shortIn).toBeLessThanOrEqual(60);
    const long = await generate({ email: "later@magic.test", expiresInSeconds: 10_000_000 });
    expect((Date.parse(long.body.expiresAt) - Date.now()) / 1000).toBeLessThanOrEqual(86_400);
    expect((Date.parse(long.body.expiresAt) - Date.now()) / 1000).toBeGreaterThan(86_000);

    // A minute is too long to wait: the row is aged instead, as time would.
    const token = tokenOf(short.body.magicLinkUrl);
    await db.query("UPDATE rootcx_system.magic_link_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1", [hash(token)]);
    const res = await api(core, "POST", "/api/v1/auth/magic-link/consume", { token });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe("this sign-in link is invalid, expired or already used");
    const user = await db.query("SELECT 1 FROM rootcx_system.users WHERE email = 'late@magic.test'");
    expect(user.rowCount).toBe(0);
  });

  it("refuses malformed and unknown tokens", async () => {
    const bad = await api(core, "POST", "/api/v1/auth/magic-link/consume", { token: "a.b.c" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/token is not a sign-in link token/);
    const unknown = await api(core, "POST", "/api/v1/auth/magic-link/consume", { token: "A".repeat(43) });
    expect(unknown.status).toBe(401);
    const missing = await api(core, "GET", "/api/v1/auth/magic-link/consume");
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe("token is required");
  });

  it("unknown roles and too many roles are 400 with their reason", async () => {
    const unknown = await generate({ email: "x@magic.test", roles: ["support", "nope", "nada"] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe("unknown roles: nope, nada");
    const many = await generate({ email: "x@magic.test", roles: Array.from({ length: 33 }, (_, i) => `r${i}`) });
    expect(many.status).toBe(400);
    expect(many.body.error).toMatch(/at most 32 roles/);
  });

  it("checks the redirect: http(s) only, no credentials", async () => {
    const creds = await generate({ email: "x@magic.test", redirectUri: "https://user:pw@example.com/" });
    expect(creds.status).toBe(400);
    expect(creds.body.error).toMatch(/must not carry credentials/);
    const js = await generate({ email: "x@magic.test", redirectUri: "javascript:alert(1)" });
    expect(js.status).toBe(400);
    expect(js.body.error).toMatch(/must be an http or https URL/);
  });

  it("a non-admin with auth.invite confers only roles it holds, and only to new people", async () => {
    const inviter = await signUpAndIn(core, "inviter@magic.test");
    expect((await api(core, "POST", "/api/v1/roles/assign", { userId: inviter.userId, role: "inviter" }, admin.accessToken)).status).toBe(200);

    const asAdmin = await generate({ email: "sneaky@magic.test", roles: ["admin"] }, inviter.accessToken);
    expect(asAdmin.status).toBe(403);
    expect(asAdmin.body.error).toBe("you can only confer roles you hold yourself; not held: admin");
    const held = await generate({ email: "colleague@magic.test", roles: ["inviter"] }, inviter.accessToken);
    expect(held.status).toBe(201);
    const existing = await generate({ email: "admin@magic.test" }, inviter.accessToken);
    expect(existing.status).toBe(403);
    expect(existing.body.error).toBe("only an administrator can make a sign-in link for an existing account");

    const plain = await signUpAndIn(core, "plain@magic.test");
    const refused = await generate({ email: "y@magic.test" }, plain.accessToken);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe("permission required: auth.invite");
    const anonymous = await api(core, "POST", "/api/v1/auth/magic-link/generate", { email: "y@magic.test" });
    expect(anonymous.status).toBe(401);
  });

  it("an admin's link for an existing account signs that account in", async () => {
    const plain = await signUpAndIn(core, "returning@magic.test");
    const res = await generate({ email: "returning@magic.test" });
    expect(res.status).toBe(201);
    const used = await api(core, "POST", "/api/v1/auth/magic-link/consume", { token: tokenOf(res.body.magicLinkUrl) });
    expect(used.status).toBe(200);
    expect(used.body.user.id).toBe(plain.userId);
  });

  it("with a redirect: nonce mode by default, legacy mode on request, Referrer-Policy no-referrer", async () => {
    const redirectUri = "http://127.0.0.1:4999/after";
    const nonceLink = await generate({ email: "browser@magic.test", redirectUri });
    const viaNonce = await openLink(nonceLink.body.magicLinkUrl);
    expect(viaNonce.status).toBe(307);
    expect(viaNonce.headers.get("referrer-policy")).toBe("no-referrer");
    const location = new URL(viaNonce.headers.get("location")!);
    expect(location.origin + location.pathname).toBe(redirectUri);
    const nonce = location.searchParams.get("auth_nonce")!;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.has("access_token")).toBe(false);
    const exchanged = await api(core, "POST", "/api/v1/auth/nonce-exchange", { nonce });
    expect(exchanged.status).toBe(200);
    expect((await api(core, "GET", "/api/v1/auth/me", undefined, exchanged.body.accessToken)).body.email).toBe("browser@magic.test");

    const legacyLink = await generate({ email: "legacy@magic.test", redirectUri, tokenDelivery: "legacy" });
    const viaLegacy = await openLink(legacyLink.body.magicLinkUrl);
    expect(viaLegacy.status).toBe(307);
    expect(viaLegacy.headers.get("referrer-policy")).toBe("no-referrer");
    const legacy = new URL(viaLegacy.headers.get("location")!);
    const access = legacy.searchParams.get("access_token")!;
    expect(new URLSearchParams(legacy.hash.slice(1)).get("access_token")).toBe(access);
    expect((await api(core, "GET", "/api/v1/auth/me", undefined, access)).body.email).toBe("legacy@magic.test");

    // POST consume always answers the session, with the redirect for the caller to follow.
    const posted = await generate({ email: "poster@magic.test", redirectUri });
    const body = await api(core, "POST", "/api/v1/auth/magic-link/consume", { token: tokenOf(posted.body.magicLinkUrl) });
    expect(body.status).toBe(200);
    expect(body.body.redirectUri).toBe(redirectUri);
  });

  it("a disabled account's link is refused and stays unused", async () => {
    const victim = await signUpAndIn(core, "disabled@magic.test");
    const res = await generate({ email: "disabled@magic.test" });
    expect((await api(core, "POST", `/api/v1/users/${victim.userId}/disable`, undefined, admin.accessToken)).status).toBe(200);
    const used = await api(core, "POST", "/api/v1/auth/magic-link/consume", { token: tokenOf(res.body.magicLinkUrl) });
    expect(used.status).toBe(403);
    expect(used.body.error).toBe("this account is disabled");
    const refused = await generate({ email: "disabled@magic.test" });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe("the account disabled@magic.test is disabled");
  });

  it("magicLinkEnabled is true with SMTP configured", async () => {
    const mode = await api(core, "GET", "/api/v1/auth/mode");
    expect(mode.body.magicLinkEnabled).toBe(true);
  });
});

describe("self-service sign-in links", () => {
  const ANSWER = { message: "If an account exists for this address, a sign-in link is on its way. It works once, for 15 minutes." };

  it("mails an existing person a link to the Studio, and answers an unknown address the same", async () => {
    await signUpAndIn(core, "self@magic.test");
    const known = await api(core, "POST", "/api/v1/auth/magic-link/request", { email: "self@magic.test" });
    expect(known.status).toBe(202);
    expect(known.body).toEqual(ANSWER);
    const unknown = await api(core, "POST", "/api/v1/auth/magic-link/request", { email: "nobody@magic.test" });
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual(ANSWER);

    const mail = await smtp.next("self@magic.test");
    const opened = await openLink(linkIn(mail));
    expect(opened.status).toBe(307);
    const location = new URL(opened.headers.get("location")!);
    expect(location.pathname).toBe("/login");
    expect(location.searchParams.get("auth_nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The sink received nothing for the unknown address (give a stray send time to arrive).
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.mails.some((m) => m.to.includes("nobody@magic.test"))).toBe(false);
  });

  it("refuses a redirect away from this Core", async () => {
    const res = await api(core, "POST", "/api/v1/auth/magic-link/request", { email: "self@magic.test", redirectUri: "https://evil.example/cb" });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/redirect_uri must be on this Core's own origin/);
  });

  it("is rate-limited per address, the same for unknown addresses", async () => {
    for (const email of ["limited@magic.test", "ghost@magic.test"]) {
      if (email === "limited@magic.test") await signUpAndIn(core, email);
      const answers = [];
      for (let i = 0; i < 6; i++) answers.push(await api(core, "POST", "/api/v1/auth/magic-link/request", { email }));
      expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202, 429]);
      expect(answers[5]!.body.error).toMatch(/^too many sign-in link requests, retry in \d+ s$/);
      expect(answers[5]!.headers.get("retry-after")).toMatch(/^\d+$/);
    }
  });
});

describe("without working mail", () => {
  it("no SMTP: the admin still gets the link (not sent), self-service is unavailable, magicLinkEnabled is false", async () => {
    const bare = await startTestCore();
    try {
      const a = await signUpAndIn(bare, "admin@bare.test");
      const res = await api(bare, "POST", "/api/v1/auth/magic-link/generate", { email: "p@bare.test" }, a.accessToken);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ sent: false, mail: "not_configured" });
      const self = await api(bare, "POST", "/api/v1/auth/magic-link/request", { email: "admin@bare.test" });
      expect(self.status).toBe(404);
      expect(self.body.error).toMatch(/no outgoing mail is configured/);
      expect((await api(bare, "GET", "/api/v1/auth/mode")).body.magicLinkEnabled).toBe(false);
    } finally {
      await bare.dispose();
    }
  });

  it("an SMTP server that does not answer: the link is returned, marked failed, and not logged", async () => {
    const dead = await startSmtpSink();
    const url = dead.url;
    await dead.close();
    const broken = await startTestCore({ env: { ROOTCX_SMTP_URL: url, ROOTCX_SMTP_FROM: "no-reply@rootcx.test" } });
    try {
      const a = await signUpAndIn(broken, "admin@broken.test");
      const res = await api(broken, "POST", "/api/v1/auth/magic-link/generate", { email: "p@broken.test" }, a.accessToken);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ sent: false, mail: "failed" });
      expect(broken.logs.some((l) => l.includes("sign-in link could not be e-mailed"))).toBe(true);
      expect(broken.logs.some((l) => l.includes(tokenOf(res.body.magicLinkUrl)))).toBe(false);
    } finally {
      await broken.dispose();
    }
  });
});
