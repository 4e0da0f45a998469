"use client";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";
import type { TableSort } from "../../components/data-table.tsx";
import { parseConditions, serializeConditions, type Condition } from "./filter-model.ts";

export const PAGE_SIZES = [25, 50, 100] as const;
export const DEFAULT_SORT: TableSort = { key: "created_at", order: "desc" };
const DEFAULT_SIZE = 50;

/** What the data browser shows; all of it lives in the URL so a view can be shared and survives a reload. */
export interface ViewState {
  entity: string | undefined;
  sort: TableSort;
  page: number;
  size: number;
  conditions: Condition[];
}

const positive = (raw: string | null, fallback: number) => {
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 ? n : fallback;
};

/** The view read from the URL, and `set` to change part of it (replacing the history entry, not adding one). */
export function useViewState(): [ViewState, (patch: Partial<ViewState>) => void] {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();

  const view = useMemo<ViewState>(() => {
    const size = positive(params.get("size"), DEFAULT_SIZE);
    return {
      entity: params.get("entity") ?? undefined,
      sort: params.get("sort") ? { key: params.get("sort")!, order: params.get("order") === "asc" ? "asc" : "desc" } : DEFAULT_SORT,
      page: positive(params.get("page"), 1),
      size: (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_SIZE,
      conditions: parseConditions(params.get("filter")),
    };
  }, [params]);

  const set = useCallback(
    (patch: Partial<ViewState>) => {
      const next = { ...view, ...patch };
      const q = new URLSearchParams();
      // Defaults stay out of the URL so the plain page address is the default view.
      if (next.entity) q.set("entity", next.entity);
      if (next.sort.key !== DEFAULT_SORT.key || next.sort.order !== DEFAULT_SORT.order) {
        q.set("sort", next.sort.key);
        q.set("order", next.sort.order);
      }
      const filter = serializeConditions(next.conditions);
      if (filter) q.set("filter", filter);
      if (next.page > 1) q.set("page", String(next.page));
      if (next.size !== DEFAULT_SIZE) q.set("size", String(next.size));
      const search = q.toString();
      router.replace(search ? `${pathname}?${search}` : pathname, { scroll: false });
    },
    [view, router, pathname],
  );
  return [view, set];
}
