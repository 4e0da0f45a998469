/**
 * `node --import tsx bench/data-profile.ts <file.cpuprofile> [n]`: the n frames (default 25) with the most self
 * time in a V8 CPU profile, as written by `BENCH_PROFILE=<dir> npm run bench -- data`, with their share of the
 * busy samples (idle time, when the Core waited for the load generator or PostgreSQL, is left out; garbage
 * collection is one of the frames). Frames are grouped by function and file, so one function's samples add up
 * across call paths.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

const Profile = z.object({
  nodes: z.array(z.object({ id: z.number(), callFrame: z.object({ functionName: z.string(), url: z.string() }) })),
  samples: z.array(z.number()),
});

const [file, count] = process.argv.slice(2);
if (!file) throw new Error("usage: bench/data-profile.ts <file.cpuprofile> [n]");
const profile = Profile.parse(JSON.parse(readFileSync(file, "utf8")));
const frameOf = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
const self = new Map<string, number>();
for (const id of profile.samples) {
  const f = frameOf.get(id);
  if (!f) continue;
  const where = f.url ? path.relative(process.cwd(), f.url.replace(/^file:\/\//, "")) : "";
  const key = `${f.functionName || "(anonymous)"} ${where}`.trim();
  self.set(key, (self.get(key) ?? 0) + 1);
}
self.delete("(idle)");
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log(`${total} busy samples of ${profile.samples.length}`);
const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(count ?? 25));
for (const [frame, n] of top) console.log(`${((n / total) * 100).toFixed(1).padStart(5)}%  ${frame}`);
