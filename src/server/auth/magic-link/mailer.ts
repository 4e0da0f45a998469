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

/**
 * E-mails a sign-in link. Resolves to whether the mail server accepted it; a failure is logged (without the
 * link, which is a credential) and never thrown: the administrator still has the link to hand over.
 */
export async function sendSignInLink(core: Core, to: string, link: string, expiresAt: Date): Promise<boolean> {
  const smtp = core.config.smtp;
  if (!smtp) return false;
  const minutes = Math.max(1, Math.round((expiresAt.getTime() - Date.now()) / 60_000));
  const host = new URL(core.config.publicUrl).host;
  try {
    await transportOf(core, smtp.url).sendMail({
      from: smtp.from,
      to,
      subject: `Your sign-in link for ${host}`,
      text: `Open this link to sign in to ${host}:\n\n${link}\n\nIt works once, for the next ${minutes} minutes. If you did not ask for it, ignore this mail.\n`,
      html: `<p>Open this link to sign in to ${escapeHtml(host)}:</p><p><a href="${escapeHtml(link)}">Sign in</a></p><p>It works once, for the next ${minutes} minutes. If you did not ask for it, ignore this mail.</p>`,
    });
    return true;
  } catch (err) {
    core.log.warn({ err: (err as Error).message, code: (err as { code?: unknown }).code }, "sign-in link could not be e-mailed");
    return false;
  }
}
