import type { BadgeTone } from "../components/badge.tsx";

/** Run statuses of the crons service: its job's fate, skipped for overlap, or missed while no Core ran. */
export function runTone(status: string): BadgeTone {
  switch (status) {
    case "succeeded":
      return "success";
    case "failed":
      return "danger";
    case "skipped":
    case "missed":
      return "warning";
    case "running":
      return "accent";
    default:
      return "info";
  }
}

/** An instant as read in the schedule's own time zone, with the zone's abbreviation (EST, CET…). */
export function inZone(iso: string, timeZone: string): string {
  try {
    // dateStyle/timeStyle cannot be combined with timeZoneName, hence the fields one by one.
    return new Intl.DateTimeFormat(undefined, { timeZone, weekday: "short", year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", second: "2-digit", timeZoneName: "short" }).format(new Date(iso));
  } catch {
    return new Date(iso).toLocaleString();
  }
}

export function formatWhen(iso: string | null | undefined, none = "—"): string {
  return iso ? new Date(iso).toLocaleString() : none;
}

/** The browser's own zone, the default for a new schedule. */
export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** Every IANA zone the browser knows; UTC first (it is not always in the list). */
export function timeZones(): string[] {
  const all = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return ["UTC", ...all.filter((z) => z !== "UTC")];
}

/**
 * The payload field's text as a JSON object, or the sentence saying what is wrong: the Core takes an object,
 * so a typing slip is caught here, next to the field, before anything is sent.
 */
export function parsePayload(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  if (text.trim() === "") return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `Payload is not valid JSON: ${err instanceof Error ? err.message : String(err)}.` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, error: "Payload must be a JSON object, like {\"report\": \"daily\"}." };
  return { ok: true, value: value as Record<string, unknown> };
}
