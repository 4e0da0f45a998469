// `npm run lock:stubs` — run after changing dependencies.
// The registry this project installs from lacks the other platforms' builds of some packages (Next's SWC,
// Tailwind's oxide for macOS, Windows, Android…), so npm leaves them out of package-lock.json and `npm ci`
// then refuses the lockfile as out of sync. A bare optional entry for each satisfies `npm ci`; on this
// platform npm skips them, and on another it fetches them as usual.
import { readFileSync, writeFileSync } from "node:fs";

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));
const packages = lock.packages;
let added = 0;
for (const meta of Object.values(packages)) {
  for (const [name, range] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (packages[key]) continue;
    packages[key] = { version: range.replace(/^[\^~=]/, ""), optional: true };
    added++;
  }
}
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-optional-stubs: added ${added} optional entries`);
