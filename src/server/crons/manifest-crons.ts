import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import type { Queryable } from "../db/queryable.ts";
import { CoreError, formatZodError } from "../errors.ts";
import { parseSchedule, DEFAULT_TIMEZONE } from "./schedule.ts";
import { cronName, cronPayload, cronSchedule, cronTimezone, MAX_CRONS_PER_APP, overlapPolicy } from "./schema.ts";
import * as sql from "./sql.ts";

/** Spec §3: `crons: [{name, schedule, timezone?, method?, payload?, overlapPolicy?="skip"}]`. */
const manifestCron = z.object(
  {
    name: cronName,
    schedule: cronSchedule,
    timezone: cronTimezone.optional(),
    method: z.string({ error: "method must be a string" }).min(1, "method must not be empty").max(200, "method is at most 200 characters").optional(),
    payload: cronPayload.optional(),
    overlapPolicy: overlapPolicy.optional(),
  },
  { error: "a cron is an object {name, schedule, timezone?, method?, payload?, overlapPolicy?}" },
);

interface Wanted {
  name: string;
  schedule: string;
  timezone: string;
  payloadJson: string;
  overlapPolicy: "skip" | "queue";
  first: Date | null;
}

/** Validates the manifest's crons; errors name the path (`crons[1].schedule: …`), as the manifest's others do. */
function parseManifestCrons(declared: readonly unknown[], now: Date): Wanted[] {
  const seen = new Set<string>();
  return declared.map((raw, i) => {
    const parsed = manifestCron.safeParse(raw);
    if (!parsed.success) throw new CoreError("BAD_REQUEST", `crons[${i}]${parsed.error.issues[0]?.path.length ? "." : ": "}${formatZodError(parsed.error)}`);
    const c = parsed.data;
    if (seen.has(c.name)) throw new CoreError("BAD_REQUEST", `crons[${i}].name: ${c.name} is declared twice`);
    seen.add(c.name);
    const timezone = c.timezone ?? DEFAULT_TIMEZONE;
    let first: Date | null;
    try {
      first = parseSchedule(c.schedule, timezone).nextAfter(now);
    } catch (err) {
      throw new CoreError("BAD_REQUEST", `crons[${i}]: ${(err as Error).message}`);
    }
    // Spec §3: `method` is merged into payload.method.
    const payload = c.method === undefined ? (c.payload ?? {}) : { ...c.payload, method: c.method };
    return { name: c.name, schedule: c.schedule.trim(), timezone, payloadJson: JSON.stringify(payload), overlapPolicy: c.overlapPolicy ?? "skip", first };
  });
}

/**
 * Spec §3, on every install of the app, in the install's transaction: declared crons are created (owned by and run as
 * the installer), changed ones updated (and handed to the installer), and manifest crons the manifest no longer
 * declares deleted. Crons made through the API are left alone; a declared name that one of them holds is a 409.
 * An admin's `enabled: false` on a manifest cron survives re-installs. Wakes the leader when anything changed.
 */
export async function reconcileManifestCrons(tx: Queryable, appId: string, declared: readonly unknown[] | undefined, installer: string, now = new Date()): Promise<void> {
  const wanted = parseManifestCrons(declared ?? [], now);
  await sql.lockAppCrons(tx, appId);
  const existing = new Map((await sql.listCrons(tx, { appId })).map((r) => [r.name, r]));
  let changed = false;
  for (const w of wanted) {
    const row = existing.get(w.name);
    if (!row) {
      await sql.insertCron(tx, { appId, ...w, enabled: true, runAs: installer, createdBy: installer, source: "manifest", nextFireAt: w.first });
      changed = true;
      continue;
    }
    if (row.source === "api") {
      throw new CoreError("CONFLICT", `crons: the manifest declares a schedule named ${w.name}, but app ${appId} already has one made through the API; rename one of them or delete the API one`);
    }
    const retimed = row.schedule !== w.schedule || row.timezone !== w.timezone;
    const same = !retimed && isDeepStrictEqual(row.payload, JSON.parse(w.payloadJson)) && row.overlap_policy === w.overlapPolicy && row.run_as === installer && row.created_by === installer;
    if (same) continue;
    await sql.updateCron(tx, row.id, {
      schedule: w.schedule,
      timezone: w.timezone,
      payloadJson: w.payloadJson,
      overlapPolicy: w.overlapPolicy,
      enabled: row.enabled,
      nextFireAt: !row.enabled ? null : retimed || !row.next_fire_at ? w.first : row.next_fire_at,
      runAs: installer,
      createdBy: installer,
    });
    changed = true;
  }
  const names = new Set(wanted.map((w) => w.name));
  for (const row of existing.values()) {
    if (row.source === "manifest" && !names.has(row.name)) {
      await sql.deleteCron(tx, row.id);
      changed = true;
    }
  }
  if ((await sql.countAppCrons(tx, appId)) > MAX_CRONS_PER_APP) {
    throw new CoreError("BAD_REQUEST", `crons: app ${appId} would have more than ${MAX_CRONS_PER_APP} schedules, the most one app may have`);
  }
  if (changed) await sql.notifyChange(tx, appId);
}
