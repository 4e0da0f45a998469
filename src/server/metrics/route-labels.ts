import { appRouter } from "../trpc/app-router.ts";

/** Route labels for what the REST router does not match: a fixed set, so a client cannot mint label values. */
export const ROUTE_LABEL = {
  health: "/health",
  metrics: "/metrics",
  studio: "studio",
  appFrontend: "/apps/:appId/*",
  share: "/share/:token",
  preflight: "cors-preflight",
  unmatched: "unmatched",
  trpcBatch: "/api/trpc/(batch)",
} as const;

let trpcLabels: Map<string, string> | undefined;

/**
 * `/api/trpc/auth.login?input=…` → `/api/trpc/auth.login`; a batch (`a,b`) → one label for all batches; a name the
 * router does not have → `unmatched`. The labels are built once from the router's procedures.
 */
export function trpcRouteLabel(url: string, prefixLength: number): string {
  trpcLabels ??= new Map(Object.keys(appRouter._def.procedures).map((name) => [name, `/api/trpc/${name}`]));
  const q = url.indexOf("?", prefixLength);
  const name = url.slice(prefixLength + 1, q === -1 ? undefined : q);
  if (name.includes(",")) return ROUTE_LABEL.trpcBatch;
  return trpcLabels.get(name) ?? ROUTE_LABEL.unmatched;
}
