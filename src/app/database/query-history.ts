"use client";
import { useCallback, useEffect, useState } from "react";

/** Most recent first; older statements fall off past this many. */
export const HISTORY_LIMIT = 50;

export interface HistoryEntry {
  sql: string;
  at: string;
}

// A hand-written guard rather than zod: zod probes `new Function` at parse time, which the Studio's CSP reports.
const isEntry = (v: unknown): v is HistoryEntry =>
  typeof v === "object" && v !== null && typeof (v as HistoryEntry).sql === "string" && typeof (v as HistoryEntry).at === "string";

/** Per user, so two administrators sharing a browser profile do not see each other's statements. */
const storageKey = (userId: string) => `rootcx.sql-history.${userId}`;

function read(userId: string): HistoryEntry[] {
  try {
    // localStorage is outside our control (edited by hand, an older Studio): anything unexpected reads as empty.
    const parsed: unknown = JSON.parse(localStorage.getItem(storageKey(userId)) ?? "[]");
    return Array.isArray(parsed) && parsed.every(isEntry) ? parsed.slice(0, HISTORY_LIMIT) : [];
  } catch {
    return [];
  }
}

/** The statements this user ran in this browser, newest first; running one again moves it to the top. */
export function useQueryHistory(userId: string | undefined) {
  const [entries, setEntries] = useState<HistoryEntry[]>([]);
  useEffect(() => {
    setEntries(userId ? read(userId) : []);
  }, [userId]);

  const remember = useCallback(
    (sql: string) => {
      if (!userId) return;
      const next = [{ sql, at: new Date().toISOString() }, ...read(userId).filter((e) => e.sql !== sql)].slice(0, HISTORY_LIMIT);
      try {
        localStorage.setItem(storageKey(userId), JSON.stringify(next));
      } catch {
        // Storage full or disabled: the history stays for this page only.
      }
      setEntries(next);
    },
    [userId],
  );

  const clear = useCallback(() => {
    if (!userId) return;
    localStorage.removeItem(storageKey(userId));
    setEntries([]);
  }, [userId]);

  return { entries, remember, clear };
}
