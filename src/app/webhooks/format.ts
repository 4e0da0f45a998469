import type { BadgeTone } from "../components/badge.tsx";

export function statusTone(status: number): BadgeTone {
  if (status >= 500) return "danger";
  if (status >= 400) return "warning";
  return "success";
}

export function formatWhen(iso: string | null | undefined, none = "—"): string {
  return iso ? new Date(iso).toLocaleString() : none;
}

/** The Core answers with a path (`/api/v1/hooks/…`); callers outside need the Studio's origin in front. */
export function absoluteUrl(url: string): string {
  return typeof window === "undefined" || /^https?:\/\//.test(url) ? url : `${window.location.origin}${url}`;
}
