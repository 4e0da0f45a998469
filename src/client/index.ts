import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { EventSource } from "eventsource";
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

/**
 * A typed client for a running Core: `await createCoreClient("http://127.0.0.1:9100").system.version.query()`.
 * Subscriptions (`realtime.changes`) arrive as server-sent events and resume from the last change on reconnect:
 * `client.realtime.changes.subscribe({ appId, entity }, { onData: (e) => … })`.
 */
export function createCoreClient(baseUrl: string, opts: CoreClientOptions = {}) {
  const url = trpcUrl(baseUrl);
  const fetchImpl = opts.fetch ?? fetch;
  const headers = async () => (typeof opts.headers === "function" ? await opts.headers() : (opts.headers ?? {}));
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        // The eventsource ponyfill, because a browser's EventSource cannot send an Authorization header; the
        // headers are asked for on every (re)connection, so a refreshed token is the one a reconnect presents.
        true: httpSubscriptionLink({
          url,
          EventSource,
          eventSourceOptions: () => ({
            fetch: async (input, init) => fetchImpl(input, { ...init, headers: { ...init.headers, ...(await headers()) } }),
          }),
        }),
        false: httpBatchLink({ url, headers: opts.headers, fetch: opts.fetch }),
      }),
    ],
  });
}

export type CoreClient = ReturnType<typeof createCoreClient>;

/** Entity name → its record and input types, as `npm run types` generates them. */
export type EntityTypes<E> = { [K in keyof E]: { record: object; input: object } };

type Filters = Record<string, string>;

/**
 * The Data API of one app, typed by its generated entity map:
 * `const crm = appData<CrmEntities>(client, "crm"); const rows = await crm.list("contact", { limit: 10 });`
 */
export function appData<E extends EntityTypes<E>>(client: CoreClient, appId: string) {
  const d = client.data;
  return {
    list: <K extends keyof E & string>(entity: K, opts: { filters?: Filters; limit?: number; offset?: number; sort?: string; order?: "asc" | "desc" } = {}) =>
      d.list.query({ appId, entity, filters: opts.filters ?? {}, ...opts }) as Promise<E[K]["record"][]>,
    query: <K extends keyof E & string>(entity: K, body: { where?: Record<string, unknown>; orderBy?: string; order?: "asc" | "desc"; limit?: number; offset?: number } = {}) =>
      d.query.query({ appId, entity, limit: 100, offset: 0, ...body }) as Promise<{ data: E[K]["record"][]; total: number }>,
    get: <K extends keyof E & string>(entity: K, id: string) => d.get.query({ appId, entity, id }) as Promise<E[K]["record"]>,
    create: <K extends keyof E & string>(entity: K, record: E[K]["input"]) => d.create.mutate({ appId, entity, record: record as Record<string, unknown> }) as Promise<E[K]["record"]>,
    bulkCreate: <K extends keyof E & string>(entity: K, records: E[K]["input"][]) =>
      d.bulkCreate.mutate({ appId, entity, records: records as Record<string, unknown>[] }) as Promise<E[K]["record"][]>,
    update: <K extends keyof E & string>(entity: K, id: string, patch: Partial<E[K]["input"]>) =>
      d.update.mutate({ appId, entity, id, patch: patch as Record<string, unknown> }) as Promise<E[K]["record"]>,
    delete: <K extends keyof E & string>(entity: K, id: string) => d.delete.mutate({ appId, entity, id }),
  };
}
