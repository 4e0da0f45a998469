import type { ServerResponse } from "node:http";
import { z } from "zod";
import { lostAuthentication } from "../auth/authenticate.ts";
import type { Principal } from "../auth/principal.ts";
import { appIdSchema } from "../apps/manifest.ts";
import * as appSql from "../apps/sql.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { holdsPermission } from "../governance/permissions.ts";
import { defineRoute } from "../http/define-route.ts";
import type { RestRoute } from "../http/types.ts";
import { appDir, entryPoint } from "./app-files.ts";
import { LOG_LEVELS, type WorkerLogLevel } from "./contracts.ts";
import { DEPLOY_PERMISSION } from "./deploy.ts";
import type { LogSubscription } from "./log-subscriber.ts";
import { SseWriter } from "./sse.ts";

/** The per-app key an install mints (apps/service.ts): logs hold what the app's code prints, so plain users do not get them. */
export const logsReadKey = (appId: string) => `app:${appId}:logs.read`;

const isLevel = (l: string): l is WorkerLogLevel => (LOG_LEVELS as readonly string[]).includes(l);

/** `?level=a,b`: one sentence naming the first bad value (an array schema would prefix its index, "0: …"). */
const levelsSchema = z.string().transform((s, ctx): WorkerLogLevel[] => {
  const levels = s.split(",").map((l) => l.trim()).filter((l) => l !== "");
  const bad = levels.find((l) => !isLevel(l));
  if (levels.length === 0 || bad !== undefined) {
    const what = bad === undefined ? "level names no level" : `level ${JSON.stringify(bad)} is not a log level`;
    ctx.addIssue({ code: "custom", message: `${what}: use one or more of ${LOG_LEVELS.join(", ")}, separated by commas` });
    return z.NEVER;
  }
  return levels.filter(isLevel);
});
const replaySchema = z.enum(["0", "1", "false", "true"], { error: 'replay must be "0" or "1"' }).transform((v) => v === "1" || v === "true");

async function requireLogsRead(core: Core, principal: Principal, appId: string): Promise<void> {
  const held = await core.auth.principals.permissions(principal.userId);
  // Whoever may deploy an app's code may watch what it prints.
  if (!holdsPermission(held, DEPLOY_PERMISSION) && !holdsPermission(held, logsReadKey(appId))) {
    throw new CoreError("FORBIDDEN", `permission required: ${logsReadKey(appId)} (or ${DEPLOY_PERMISSION})`);
  }
}

/**
 * Asking for logs starts the app's lifecycle worker when it is not running (spec §2.12). Not out of a crash loop:
 * a reader watching must not keep respawning a crashing app; an admin's start does that. Nor after an
 * administrator's stop: startApp honours it, and the reader still gets the stream.
 */
function wakeWorker(core: Core, appId: string): void {
  if (!entryPoint(appDir(core.config.dataDir, appId))) return; // nothing deployed: nothing to start
  const state = core.workers.appState(appId);
  if (state !== undefined && state !== "stopped") return;
  core.workers.startApp(appId).catch((err: unknown) => core.log.warn({ err, appId }, "could not start the app's worker for its log stream"));
}

/** Why `principal` may no longer read the app's logs (signed out, disabled, permission gone), or null. */
async function lostAccess(core: Core, principal: Principal, appId: string): Promise<string | null> {
  const lost = await lostAuthentication(core, principal);
  if (lost) return lost;
  try {
    await requireLogsRead(core, principal, appId);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The live stream: the bus's subscriber paused while the socket is full, unsubscribed when the client leaves.
 * A stream outlives the request that authorised it, so access is checked again while it is open: a reader who
 * signs out or loses the key gets a last system line saying why, and the stream ends.
 */
export function streamLogs(core: Core, appId: string, res: ServerResponse, opts: { replay: boolean; levels: readonly WorkerLogLevel[] | undefined; principal: Principal }): void {
  let subscription: LogSubscription | undefined;
  let closed = false;
  const recheck = setInterval(() => {
    void lostAccess(core, opts.principal, appId).then((reason) => {
      if (reason === null || closed) return;
      sse.send({ level: "system", message: `log stream ended: ${reason}` });
      sse.close();
    }, (err: unknown) => core.log.warn({ err, appId }, "could not re-check a log reader's access"));
  }, core.logs.limits.accessRecheckMs);
  recheck.unref();
  const sse = new SseWriter(res, {
    keepAliveMs: core.logs.limits.keepAliveMs,
    onDrain: () => subscription?.resume(),
    onClose: () => {
      closed = true;
      clearInterval(recheck);
      subscription?.unsubscribe();
    },
  });
  subscription = core.logs.subscribe(appId, (entry) => sse.send(entry), { replay: opts.replay, levels: opts.levels, onClose: () => sse.close() });
  if (closed) subscription.unsubscribe();
}

export const logsRoutes: RestRoute[] = [
  defineRoute({
    method: "GET",
    path: "/apps/:appId/logs",
    schemas: {
      params: z.object({ appId: appIdSchema }),
      query: z.object({
        level: levelsSchema.optional().meta({ description: `Comma-separated levels to keep: ${LOG_LEVELS.join(", ")}` }),
        replay: replaySchema.prefault("1").meta({ description: "1 (the default): send the recent lines first; 0: only new ones" }),
      }),
    },
    docs: {
      summary: "The app's log stream (Server-Sent Events)",
      description: "Starts the app's worker when it is stopped (not out of a crash loop, nor after an administrator's stop). Access is checked again while the stream is open; a reader who loses it gets a last system line saying why.",
      tags: ["workers"],
      responses: { 200: { mediaType: "text/event-stream", description: "One `data:` JSON log entry per event" } },
    },
    // The reader's right comes before anything about the query, so a caller without it learns nothing from a 400.
    guard: async ({ core, principal, params }) => requireLogsRead(core, await principal(), appIdSchema.parse(params.appId ?? "")),
    handler: async ({ core, principal, input }) => {
      const p = await principal();
      const { appId } = input.params;
      if (!(await appSql.getApp(core.db.pool, appId))) throw new CoreError("NOT_FOUND", `app ${appId} not found`);
      if (core.logs.full) throw new CoreError("TOO_MANY_REQUESTS", `too many open log streams on this Core (${core.logs.limits.maxSubscribers}); close one and retry`, { headers: { "retry-after": "5" } });
      wakeWorker(core, appId);
      return { stream: (res) => streamLogs(core, appId, res, { replay: input.query.replay, levels: input.query.level, principal: p }) };
    },
  }),
];
