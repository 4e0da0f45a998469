import type { IncomingMessage, ServerResponse } from "node:http";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_DIR = fileURLToPath(new URL("../../../", import.meta.url));

export interface StudioHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  close(): Promise<void>;
  /** The renderer process, when the Studio runs in one. */
  pid(): number | undefined;
  /** Next's development mode: its scripts need a looser content security policy. */
  readonly dev?: boolean;
}

/**
 * Next.js in the Core's own process: used for development (`npm run dev`, with hot reload over WebSockets),
 * where the renderer process of production would get in the way.
 */
export async function createInProcessStudio(opts: { dev: boolean; hostname: string; port: number }): Promise<StudioHandler> {
  if (!opts.dev && !existsSync(path.join(PROJECT_DIR, ".next", "BUILD_ID"))) {
    throw new Error("the Studio has not been built: run `npm run build` (npm start does this when needed)");
  }
  const { default: next } = await import("next");
  const app = next({ dev: opts.dev, dir: PROJECT_DIR, hostname: opts.hostname, port: opts.port, quiet: !opts.dev });
  await app.prepare();
  const handle = app.getRequestHandler();
  return {
    handle: (req, res) => handle(req, res),
    close: () => app.close(),
    pid: () => undefined,
    dev: opts.dev,
  };
}
