import { randomUUID } from "node:crypto";
import { copyFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { deployArchiveDir } from "./app-files.ts";

/** How many deployed archives an app keeps for rollback. */
export const KEPT_DEPLOYS = 5;

const deployRecord = z.object({
  id: z.uuid(),
  deployedAt: z.string(),
  deployedBy: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  migrationsApplied: z.array(z.string()),
});
export type DeployRecord = z.infer<typeof deployRecord>;

/** `index.json` beside the kept archives: newest first, and which one is live. */
const historyIndex = z.object({ current: z.uuid().nullable(), deploys: z.array(deployRecord) });
type HistoryIndex = z.infer<typeof historyIndex>;

const indexFile = (dataDir: string, appId: string) => path.join(deployArchiveDir(dataDir, appId), "index.json");
export const archiveFile = (dataDir: string, appId: string, id: string) => path.join(deployArchiveDir(dataDir, appId), `${id}.tar.gz`);

export async function readHistory(dataDir: string, appId: string): Promise<HistoryIndex> {
  let text: string;
  try {
    text = await readFile(indexFile(dataDir, appId), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { current: null, deploys: [] };
    throw err;
  }
  return historyIndex.parse(JSON.parse(text));
}

async function writeHistory(dataDir: string, appId: string, index: HistoryIndex): Promise<void> {
  const file = indexFile(dataDir, appId);
  // Written aside and renamed: a reader never sees half an index.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(index, null, 2), { mode: 0o600 });
  await rename(tmp, file);
}

/** Keeps a copy of the deployed archive, makes it the live one and forgets the oldest past KEPT_DEPLOYS. */
export async function recordDeploy(
  dataDir: string,
  appId: string,
  upload: string,
  meta: Omit<DeployRecord, "id" | "deployedAt">,
): Promise<DeployRecord> {
  await mkdir(deployArchiveDir(dataDir, appId), { recursive: true, mode: 0o700 });
  const record: DeployRecord = { id: randomUUID(), deployedAt: new Date().toISOString(), ...meta };
  await copyFile(upload, archiveFile(dataDir, appId, record.id));
  const index = await readHistory(dataDir, appId);
  const deploys = [record, ...index.deploys];
  await writeHistory(dataDir, appId, { current: record.id, deploys: deploys.slice(0, KEPT_DEPLOYS) });
  for (const old of deploys.slice(KEPT_DEPLOYS)) await rm(archiveFile(dataDir, appId, old.id), { force: true });
  return record;
}

/** The deploy recorded just before the live one: what a rollback returns to. */
export function previousDeploy(index: HistoryIndex): DeployRecord | undefined {
  const at = index.deploys.findIndex((d) => d.id === index.current);
  return at === -1 ? undefined : index.deploys[at + 1];
}

export async function setCurrent(dataDir: string, appId: string, id: string): Promise<void> {
  const index = await readHistory(dataDir, appId);
  await writeHistory(dataDir, appId, { ...index, current: id });
}

/** `GET /apps/{id}/deploy/history`: newest first, the live one marked. */
export async function listHistory(dataDir: string, appId: string): Promise<(DeployRecord & { current: boolean })[]> {
  const index = await readHistory(dataDir, appId);
  return index.deploys.map((d) => ({ ...d, current: d.id === index.current }));
}
