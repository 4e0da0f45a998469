import net from "node:net";

/**
 * One request written byte for byte on a socket: any method token, any path, any body bytes, as a client could
 * send them (fetch would refuse or normalise most of these). Resolves the answer's status, skipping interim
 * 1xx answers; -1 when the connection failed (reset) before an answer was read, 0 when it closed unanswered.
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  opts: { token?: string; body?: string | Buffer; extraHeaders?: string; timeoutMs?: number } = {},
): Promise<number> {
  return new Promise((resolve) => {
    const url = new URL(baseUrl);
    const socket = net.connect(Number(url.port), url.hostname);
    let head = "";
    socket.setTimeout(opts.timeoutMs ?? 15_000, () => socket.destroy(new Error(`no answer to ${method} ${path.slice(0, 80)}`)));
    socket.on("data", (chunk) => {
      head += chunk.toString("latin1");
      const m = /^(?:HTTP\/1\.1 1\d\d [^\r]*\r\n\r\n)*HTTP\/1\.1 ([2-9]\d\d)/.exec(head);
      if (m) {
        resolve(Number(m[1]));
        socket.destroy();
      }
    });
    socket.on("error", () => resolve(-1));
    socket.on("close", () => resolve(0));
    const bytes = typeof opts.body === "string" || opts.body === undefined ? Buffer.from(opts.body ?? "") : opts.body;
    const auth = opts.token ? `Authorization: Bearer ${opts.token}\r\n` : "";
    socket.write(`${method} ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${auth}Content-Type: application/json\r\nContent-Length: ${bytes.length}\r\n${opts.extraHeaders ?? ""}\r\n`);
    socket.write(bytes);
  });
}
