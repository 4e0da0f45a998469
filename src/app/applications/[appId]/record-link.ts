"use client";
import { useQuery } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { useEffect, useRef } from "react";
import { useTRPC } from "../../trpc.ts";
import type { Row } from "./records-table.tsx";

/**
 * Opens the record a link names (`?record=<id>`, as a linked record's "Open" link gives it) in the data browser's
 * side panel, once per id: closing the panel leaves it closed.
 */
export function useRecordFromUrl(appId: string, entity: string, open: (row: Row) => void): void {
  const trpc = useTRPC();
  const id = useSearchParams().get("record") ?? undefined;
  const opened = useRef<string | undefined>(undefined);
  const record = useQuery({ ...trpc.data.get.queryOptions({ appId, entity, id: id ?? "" }), enabled: id !== undefined });
  useEffect(() => {
    if (!id || !record.data || opened.current === id) return;
    opened.current = id;
    open(record.data);
  }, [id, record.data, open]);
}
