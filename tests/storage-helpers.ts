import { randomBytes } from "node:crypto";
import net from "node:net";
import type pg from "pg";
import { api, signUpAndIn, type Session, type TestCore } from "./harness.ts";

/**
 * A multipart/form-data body with one file part, built byte for byte: the name goes in `filename*` (RFC 5987),
 * so that NUL, control characters and "/" reach the server exactly as given.
 */
export function multipartBody(filename: string, contentType: string, bytes: Buffer): { body: Buffer; contentType: string } {
  const boundary = `----rcx${randomBytes(12).toString("hex")}`;
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''${encoded}\r\nContent-Type: ${contentType}\r\n\r\n`;
  return { body: Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test assertions read arbitrary JSON
  headers: Headers;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // a non-JSON answer stays text
  }
  return { status: res.status, body, headers: res.headers };
}

export async function uploadFile(core: TestCore, appId: string, token: string | undefined, filename: string, contentType: string, bytes: Buffer): Promise<Answer> {
  const mp = multipartBody(filename, contentType, bytes);
  const res = await fetch(`${core.url}/api/v1/apps/${appId}/storage/upload`, {
    method: "POST",
    headers: { "content-type": mp.contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: new Uint8Array(mp.body),
  });
  return answer(res);
}

/** GET of a path with an optional token and headers: the status, headers and the body's bytes. */
export async function download(core: TestCore, path: string, token?: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const res = await fetch(core.url + path, { headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** What storage holds: blob rows, chunk rows, app file rows. */
export async function storageCounts(pool: pg.Pool): Promise<{ blobs: number; chunks: number; files: number }> {
  const { rows } = await pool.query<{ blobs: number; chunks: number; files: number }>(
    `SELECT (SELECT count(*)::int FROM rootcx_system.storage_blobs) AS blobs,
            (SELECT count(*)::int FROM rootcx_system.storage_blob_chunks) AS chunks,
            (SELECT count(*)::int FROM rootcx_system.app_files) AS files`,
  );
  return rows[0]!;
}

/** Waits until no other backend of this database is inside a transaction (a rolled-back upload has finished). */
export async function settled(pool: pg.Pool): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND (state LIKE 'idle in transaction%' OR state = 'active')`,
    );
    if (rows[0]!.n === 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("a transaction was still open after 5 s");
}

/** A signed-in user holding exactly `permissions` through a role of its own. */
export async function userWith(core: TestCore, admin: Session, name: string, permissions: string[]): Promise<Session> {
  const user = await signUpAndIn(core, `${name}@example.com`);
  if (permissions.length) {
    const role = await api(core, "POST", "/api/v1/roles", { name: `r_${name}`, permissions }, admin.accessToken);
    if (role.status !== 200 && role.status !== 201) throw new Error(`role ${name}: ${role.status} ${JSON.stringify(role.body)}`);
    const assign = await api(core, "POST", "/api/v1/roles/assign", { userId: user.userId, role: `r_${name}` }, admin.accessToken);
    if (assign.status !== 200) throw new Error(`assign ${name}: ${assign.status} ${JSON.stringify(assign.body)}`);
  }
  return user;
}

/**
 * Starts a request on a raw socket, sends `sendBytes` of a body announced as `totalBytes`, then destroys the
 * socket: a client that goes away half-way through its upload.
 */
export function abandonUpload(core: TestCore, path: string, headers: Record<string, string>, prefix: Buffer, totalBytes: number, sendBytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = new URL(core.url);
    const socket = net.connect(Number(url.port), url.hostname, () => {
      const head = Object.entries({ ...headers, "content-length": String(totalBytes) }).map(([k, v]) => `${k}: ${v}\r\n`).join("");
      socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\n${head}\r\n`);
      socket.write(prefix);
      let sent = prefix.length;
      const piece = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        while (sent < sendBytes) {
          const n = Math.min(piece.length, sendBytes - sent);
          sent += n;
          if (!socket.write(piece.subarray(0, n))) return void socket.once("drain", pump);
        }
        // Let the server take in what was sent before the connection goes.
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 300);
      };
      pump();
    });
    socket.on("error", reject);
  });
}
