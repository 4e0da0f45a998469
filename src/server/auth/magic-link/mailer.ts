import nodemailer, { type Transporter } from "nodemailer";
import type { Core } from "../../core.ts";

/** One transport per Core, made on first use from ROOTCX_SMTP_URL; a connection per mail (links are few). */
const transports = new WeakMap<Core, Transporter>();

/** How long one SMTP step may take: a hung mail server must not hold an administrator's request for minutes. */
const SMTP_TIMEOUT_MS = 10_000;

function transportOf(core: Core, url: string): Transporter {
  let t = transports.get(core);
  if (!t) {
    t = nodemailer.createTransport({
      url,
      connectionTimeout: SMTP_TIMEOUT_MS,
      greetingTimeout: SMTP_TIMEOUT_MS,
      socketTimeout: SMTP_TIMEOUT_MS,
    });
    transports.set(core, t);
  }
  return t;
}

export const mailConfigured = (core: Core): boolean => core.config.smtp !== undefined;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** "1 minute", "15 minutes", "1 hour", "24 hours": a lifetime as a person reads it. */
export function lifetimeWords(seconds: number): string {
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes % 60 === 0) return minutes === 60 ? "1 hour" : `${minutes / 60} hours`;
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

/** Who asked for the link: an administrator or inviter ("invitation"), or the person ("self_service"). */
export type LinkOrigin = "invitation" | "self_service";

/**
 * E-mails a sign-in link. Resolves to whether the mail server accepted it; a failure is logged (without the
 * link, which is a credential) and never thrown: the administrator still has the link to hand over.
 */
export async function sendSignInLink(core: Core, to: string, link: string, expiresAt: Date, origin: LinkOrigin): Promise<boolean> {
  const smtp = core.config.smtp;
  if (!smtp) return false;
  const lifetime = lifetimeWords((expiresAt.getTime() - Date.now()) / 1000);
  const host = new URL(core.config.publicUrl).host;
  // Only the person who asked can "not have asked for it"; an invitation says what it is instead.
  const closing = origin === "self_service" ? "If you did not ask for it, ignore this mail." : "You receive it because someone on this site invited you.";
  try {
    await transportOf(core, smtp.url).sendMail({
      from: smtp.from,
      to,
      subject: `Your sign-in link for ${host}`,
      text: `Open this link to sign in to ${host}:\n\n${link}\n\nIt works once, for the next ${lifetime}. ${closing}\n`,
      html: `<p>Open this link to sign in to ${escapeHtml(host)}:</p><p><a href="${escapeHtml(link)}">Sign in</a></p><p>It works once, for the next ${lifetime}. ${closing}</p>`,
    });
    return true;
  } catch (err) {
    core.log.warn({ err: (err as Error).message, code: (err as { code?: unknown }).code }, "sign-in link could not be e-mailed");
    return false;
  }
}
