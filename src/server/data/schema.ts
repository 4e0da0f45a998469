import { z } from "zod";
import { CoreError } from "../errors.ts";
import { parseLinkedParam, type LinkedRequest } from "./linked.ts";

export interface ListQuery {
  /** Strings from a query string; a worker's collection find may give any JSON value. */
  filters: Record<string, unknown>;
  limit?: number;
  offset?: number;
  sort?: string;
  order?: string;
  /** Attach each row's linked records from other apps (spec §2.6). */
  linked?: LinkedRequest;
}

const RESERVED = new Set(["limit", "offset", "sort", "order", "linked"]);

function integer(name: string, raw: string | null, min: number, max: number): number | undefined {
  if (raw === null) return undefined;
  if (!/^\d{1,9}$/.test(raw)) throw new CoreError("BAD_REQUEST", `${name} must be a non-negative integer`);
  return Math.min(Math.max(Number(raw), min), max);
}

/**
 * URLSearchParams decodes a percent-encoded byte sequence that is not UTF-8 (`?title=%FF`) to U+FFFD; a filter
 * would then silently look for a different value. Refuse such a query string instead.
 */
export function assertUtf8Query(url: string): void {
  const q = url.indexOf("?");
  if (q === -1 || !url.includes("%", q)) return;
  for (const part of url.slice(q + 1).split(/[&=]/)) {
    try {
      decodeURIComponent(part.replace(/\+/g, " ").replace(/%(?![0-9a-fA-F]{2})/g, "%25"));
    } catch {
      throw new CoreError("BAD_REQUEST", "the query string is not valid UTF-8 once percent-decoded");
    }
  }
}

/** GET list parameters (spec §2.6): limit is applied only when given, clamped to 1..1000. */
export function parseListQuery(query: URLSearchParams): ListQuery {
  // No prototype: "?__proto__=x" must become a filter on an unknown column (a 400), not a prototype.
  const filters: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of query) {
    if (RESERVED.has(key)) continue;
    if (Object.hasOwn(filters, key)) throw new CoreError("BAD_REQUEST", `filter ${key.slice(0, 64)} is given twice`);
    filters[key] = value;
  }
  if (query.getAll("linked").length > 1) throw new CoreError("BAD_REQUEST", "linked is given twice");
  return {
    filters,
    linked: parseLinkedParam(query.get("linked")),
    limit: integer("limit", query.get("limit"), 1, 1000),
    offset: integer("offset", query.get("offset"), 0, 100_000_000),
    sort: query.get("sort") ?? undefined,
    order: query.get("order") ?? undefined,
  };
}

export const queryBody = z.object({
  // Passed through as parsed: z.record copies keys by assignment, and a "__proto__" key would vanish into the
  // copy's prototype instead of being refused as an unknown column.
  where: z.custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), { message: "where must be an object" }).optional(),
  orderBy: z.string().max(63).optional(),
  order: z.enum(["asc", "desc"], { error: 'order must be "asc" or "desc"' }).optional(),
  limit: z.number().int().min(1).max(1000).default(100),
  offset: z.number().int().min(0).max(100_000_000).default(0),
  linked: z
    .union([z.boolean(), z.array(z.string().max(100))], { error: "linked must be true, false or a list of app ids" })
    .optional()
    // The list's length (at most LINKED_MAX_APPS) is checked by planLinked, so that refusal names it: inside the
    // union zod would only say the union's own sentence. The body size limit bounds the list meanwhile.
    .meta({ description: "Attach each row's records from other apps with the same identity value as `_linked: {<app>: {entity, recordId, data}}`: true for every other app of the entity's identity kind, or a list of app ids" }),
});
export type QueryBody = z.infer<typeof queryBody>;

export const collectionParams = z.object({ appId: z.string().max(100), entity: z.string().max(100) });
