// Run before `npm start` and the browser tests: builds what a fresh clone lacks (the Prisma client, the
// Studio) and rebuilds the Studio when its sources are newer than the last build, so `npm start` always
// serves the code in the tree.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };

function run(args) {
  const r = spawnSync(process.execPath, args, { cwd: root, env, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function newestMtime(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}

if (!existsSync(path.join(root, "src/generated/prisma/client.ts"))) run(["scripts/prisma-generate.mjs"]);

const buildId = path.join(root, ".next/BUILD_ID");
const inputs = ["src/app", "src/client", "src/server/trpc", "public", "next.config.ts", "postcss.config.mjs", "package-lock.json"];
const built = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
const changed = Math.max(...inputs.map((p) => newestMtime(path.join(root, p))));
if (changed > built) {
  console.log(built ? "Studio sources changed: rebuilding the Studio" : "Building the Studio (first start)");
  run([path.join(root, "node_modules/next/dist/bin/next"), "build"]);
}
