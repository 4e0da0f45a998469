import type { IncomingMessage } from "node:http";
import { performance } from "node:perf_hooks";
import type { Core } from "../core.ts";
import { CoreError, toCoreError } from "../errors.ts";
import { holdsPermission } from "../governance/permissions.ts";
import { readRawBody } from "../http/body.ts";
import { nestsDeeperThan } from "../http/input-integrity.ts";
import type { RpcCaller } from "../workers/contracts.ts";
import type { WorkerIdentity } from "../workers/identity.ts";
import { takeCall } from "./rate-limit.ts";
import { recordedMessage, webhookRpcFailure } from "./rpc-failure.ts";
import { readSecret } from "./secret.ts";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from "./signature.ts";
import * as sql from "./sql.ts";
import { hashToken, isWellFormedToken, PREFIX_LENGTH, sameHash } from "./token.ts";

/**
 * The largest body an inbound call may carry. It reaches the worker twice in one IPC message (parsed, and as
 * base64: 4/3 of its size), and the worker host reads messages of at most 1 MiB a line (src/worker-host/wire.ts),
 * dropping a longer one (the call would then only end at the RPC timeout): 384 KiB, twice, fits with its headers.
 */
export const INBOUND_BODY_LIMIT = 384 * 1024;
/** What the RPC's params may encode to; the rest of the 1 MiB line is the envelope (id, method, caller, trace). */
const MAX_PARAMS_BYTES = 1024 * 1024 - 64 * 1024;

/** One answer for every token that opens nothing: it never says whether a prefix matched. */
const UNKNOWN = "no webhook at this URL";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Prefix lookup, then a constant-time comparison of the hash with every row the prefix finds. */
async function findByToken(core: Core, token: string): Promise<sql.InboundRow> {
  if (!isWellFormedToken(token)) throw new CoreError("NOT_FOUND", UNKNOWN);
  const hash = hashToken(token);
  const candidates = await sql.byPrefix(core.db.pool, token.slice(0, PREFIX_LENGTH));
  let found: sql.InboundRow | undefined;
  for (const row of candidates) if (sameHash(row.token_hash, hash)) found = row;
  if (!found) throw new CoreError("NOT_FOUND", UNKNOWN);
  return found;
}

/**
 * Spec §6.3: the call runs as the webhook's creator (the installer who declared it). Like the original's fire gate,
 * a creator who is gone, disabled, or no longer holds app:{id}:invoke makes no call.
 */
async function creatorOf(core: Core, row: sql.InboundRow): Promise<{ identity: WorkerIdentity; caller: RpcCaller }> {
  const email = row.creator_email;
  if (!row.created_by || email === null) throw new CoreError("FORBIDDEN", `webhook ${row.name} has no owner any more (its creator was deleted); reinstall the app to own it`);
  if (row.creator_disabled) throw new CoreError("FORBIDDEN", `webhook ${row.name} belongs to a disabled user`);
  const perms = await core.auth.principals.permissions(row.created_by);
  const invoke = `app:${row.app_id}:invoke`;
  if (!holdsPermission(perms, invoke)) throw new CoreError("FORBIDDEN", `webhook ${row.name}'s owner no longer holds ${invoke}`);
  return {
    identity: { kind: "user", userId: row.created_by, email },
    caller: { userId: row.created_by, email, effectivePerms: [...perms] },
  };
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  return out;
}

/** Spec §6.3: the body parsed as JSON when it is JSON, else its text; null when it is not even UTF-8 (rawBody has it). */
function bodyValue(raw: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    return null;
  }
  if (text.trim() === "" || nestsDeeperThan(text)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * POST /api/v1/hooks/{token}: token → rate limit → body (384 KiB) → signature → owner → the worker RPC named by the
 * webhook's method, with {name, headers, body, rawBody (base64)}; the RPC's result is the answer, its failure told to
 * the sender as rpc-failure.ts decides. Every call that found its webhook is recorded (status, duration, the full
 * error) and counted in rootcx_webhook_calls_total.
 */
export async function receiveWebhook(core: Core, token: string, req: IncomingMessage): Promise<unknown> {
  const started = performance.now();
  let row: sql.InboundRow;
  try {
    row = await findByToken(core, token);
  } catch (err) {
    const e = toCoreError(err);
    core.metrics.webhookCall(e.status);
    throw e;
  }
  let signed = false;
  const finish = async (status: number, error: string | null) => {
    core.metrics.webhookCall(status);
    const durationMs = Math.round(performance.now() - started);
    await sql.recordCall(core.db.pool, { webhookId: row.id, status, durationMs, signed, error }).catch((err: unknown) => core.log.warn({ err, webhookId: row.id }, "recording a webhook call failed"));
  };
  try {
    await takeCall(core, row.id, row.rate_limit_per_minute);
    const rawBody = await readRawBody(req, INBOUND_BODY_LIMIT);
    const required = row.manifest_requires_signature || row.require_signature;
    const carriesSignature = req.headers[SIGNATURE_HEADER] !== undefined || req.headers[TIMESTAMP_HEADER] !== undefined;
    const verdict = verifySignature({
      headers: req.headers,
      rawBody,
      secret: required || carriesSignature ? await readSecret(core, row.id) : undefined,
      required,
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    if (!verdict.ok) throw new CoreError("UNAUTHORIZED", `webhook signature refused: ${verdict.reason}`);
    signed = verdict.signed;
    const { identity, caller } = await creatorOf(core, row);
    if (!core.workers.hasBackend(row.app_id)) throw new CoreError("NOT_READY", `app ${row.app_id} has no deployed backend to take webhook ${row.name}`);
    const params = { name: row.name, headers: flatHeaders(req), body: bodyValue(rawBody), rawBody: rawBody.toString("base64") };
    // A body within the limit can still encode larger (a text of control characters is escaped six-fold).
    const encoded = Buffer.byteLength(JSON.stringify(params));
    if (encoded > MAX_PARAMS_BYTES) {
      throw new CoreError("PAYLOAD_TOO_LARGE", `this call is too large to hand to the app's backend: its headers and body (sent parsed and as base64) encode to ${encoded} bytes, more than ${MAX_PARAMS_BYTES}`);
    }
    const result = await core.workers.rpc(row.app_id, identity, row.method, params, caller).catch((err: unknown) => Promise.reject(webhookRpcFailure(err)));
    await finish(200, null);
    return result;
  } catch (err) {
    const e = toCoreError(err);
    await finish(e.status, recordedMessage(e));
    throw e;
  }
}
