import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  to: string[];
  from: string;
  /** The message as sent, quoted-printable soft breaks and escapes undone (enough to read a link). */
  text: string;
}

export interface SmtpSink {
  url: string;
  port: number;
  mails: ReceivedMail[];
  /** Resolves with the first mail to this address received after the call (or already waiting), or rejects after `ms`. */
  next(to: string, ms?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/** Undoes quoted-printable: "=\r\n" soft line breaks and "=XX" escapes. */
const unQuote = (s: string) =>
  s.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/**
 * A real SMTP server on loopback (the `smtp-server` package) that keeps what it receives. Plain SMTP without
 * STARTTLS or authentication, as a local relay would be.
 */
export async function startSmtpSink(port = 0): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  const claimed = new Set<ReceivedMail>();
  const waiters: (() => void)[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    // A loopback client: the reverse DNS lookup would only add its own delay to every mail.
    disableReverseLookup: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        mails.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          text: unQuote(Buffer.concat(chunks).toString("utf8")),
        });
        for (const w of waiters.splice(0)) w();
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const actualPort = (server.server.address() as AddressInfo).port;
  const take = (to: string) => {
    const m = mails.find((x) => !claimed.has(x) && x.to.includes(to));
    if (m) claimed.add(m);
    return m;
  };
  return {
    url: `smtp://127.0.0.1:${actualPort}`,
    port: actualPort,
    mails,
    next(to, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no mail to ${to} within ${ms} ms`)), ms);
        const check = () => {
          const m = take(to);
          if (m) {
            clearTimeout(timer);
            resolve(m);
          } else waiters.push(check);
        };
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The sign-in link in a mail's text. */
export function linkIn(mail: ReceivedMail): string {
  const m = /https?:\/\/\S+?\/api\/v1\/auth\/magic-link\/consume\?token=[A-Za-z0-9_-]{43}/.exec(mail.text);
  if (!m) throw new Error(`no sign-in link in the mail:\n${mail.text}`);
  return m[0];
}
