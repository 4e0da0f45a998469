import { createTRPCClient, httpBatchLink } from "@trpc/client";
import type { AppRouter } from "../server/trpc/app-router.ts";

export type { AppRouter };

export interface CoreClientOptions {
  /** Headers for every call, e.g. `{ authorization: "Bearer …" }`; a function is called per request. */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  fetch?: typeof fetch;
}

export function trpcUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/api/trpc`;
}

/** A typed client for a running Core: `await createCoreClient("http://127.0.0.1:9100").system.version.query()`. */
export function createCoreClient(baseUrl: string, opts: CoreClientOptions = {}) {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: trpcUrl(baseUrl), headers: opts.headers, fetch: opts.fetch })],
  });
}

export type CoreClient = ReturnType<typeof createCoreClient>;
