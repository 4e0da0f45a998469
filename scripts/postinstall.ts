import { hydrateEmbeddedPostgresSymlinks } from "../src/server/db/embedded-binaries.ts";

const created = hydrateEmbeddedPostgresSymlinks();
if (created) console.log(`postinstall: restored ${created} embedded PostgreSQL library links`);
