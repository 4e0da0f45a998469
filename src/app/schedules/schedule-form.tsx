"use client";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { errorSentence } from "../components/api-error.ts";
import { Button } from "../components/button.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { useFormErrors } from "../components/use-form-errors.ts";
import { useTRPC } from "../trpc.ts";
import { FirePreview } from "./fire-preview.tsx";
import { parsePayload, timeZones } from "./format.ts";
import type { CronDraft } from "./types.ts";
import { useDebounced } from "./use-debounced.ts";

const FIELDS = ["appId", "name", "schedule", "timezone", "payload", "overlapPolicy", "enabled"] as const;
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const OVERLAP = [
  { value: "skip", label: "Skip: no new run while one is queued or running" },
  { value: "queue", label: "Queue: every tick enqueues a job" },
];

export interface ScheduleFormProps {
  /** "create" offers the app and the name; "edit" shows them fixed. */
  mode: "create" | "edit";
  initial: CronDraft;
  /** The apps the caller may add schedules to (create only). */
  apps: string[];
  /** Saves; throws the Core's refusal, shown next to the field it names. */
  onSubmit: (draft: CronDraft, payload: Record<string, unknown>) => Promise<void>;
  onCancel: () => void;
}

/**
 * A schedule's form, with the next five fire times under the expression: asked of the Core (`crons.preview`,
 * the same parser that fires it) once typing pauses, so a refused expression shows the Core's reason at once.
 */
export function ScheduleForm({ mode, initial, apps, onSubmit, onCancel }: ScheduleFormProps) {
  const trpc = useTRPC();
  const { errors, fail, set, clear } = useFormErrors(FIELDS);
  const [draft, setDraft] = useState<CronDraft>(initial);
  const [saving, setSaving] = useState(false);
  const zones = useMemo(() => timeZones().map((z) => ({ value: z, label: z })), []);
  const probe = useDebounced({ schedule: draft.schedule.trim(), timezone: draft.timezone }, 400);
  const preview = useQuery(trpc.crons.preview.queryOptions({ ...probe, count: 5 }, { enabled: probe.schedule !== "", retry: false, staleTime: 30_000 }));
  const previewError = probe.schedule !== "" && preview.isError ? errorSentence(preview.error) : undefined;

  const change = <K extends keyof CronDraft>(key: K, value: CronDraft[K], field: (typeof FIELDS)[number]) => {
    clear(field);
    setDraft((d) => ({ ...d, [key]: value }));
  };

  async function submit() {
    clear();
    if (mode === "create" && !draft.appId) return set("appId", "Choose the app the schedule belongs to.");
    if (!NAME.test(draft.name)) return set("name", "Use 1 to 64 letters, digits, _ or -.");
    if (draft.schedule.trim() === "") return set("schedule", "Give a schedule, e.g. */5 * * * * or 30 seconds.");
    const payload = parsePayload(draft.payloadText);
    if (!payload.ok) return set("payload", payload.error);
    setSaving(true);
    try {
      await onSubmit({ ...draft, schedule: draft.schedule.trim() }, payload.value);
    } catch (err) {
      fail(err);
    } finally {
      setSaving(false);
    }
  }

  return (
    <form
      noValidate
      aria-label={mode === "create" ? "New schedule" : `Edit schedule ${initial.name}`}
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      {mode === "create" ? (
        <FormField kind="select" label="App" name="appId" value={draft.appId} options={apps.map((a) => ({ value: a, label: a }))} placeholder="Choose an app" error={errors.fields.appId} onChange={(e) => change("appId", e.target.value, "appId")} />
      ) : (
        <p className="text-sm text-slate-700 dark:text-slate-300">
          App <span className="font-mono">{draft.appId}</span>, schedule <span className="font-mono">{draft.name}</span>
        </p>
      )}
      {mode === "create" && (
        <FormField label="Name" name="name" autoComplete="off" value={draft.name} error={errors.fields.name} hint="1 to 64 letters, digits, _ or -; unique within the app." onChange={(e) => change("name", e.target.value, "name")} />
      )}
      <FormField
        label="Schedule"
        name="schedule"
        autoComplete="off"
        spellCheck={false}
        className="font-mono"
        value={draft.schedule}
        error={errors.fields.schedule ?? previewError}
        hint="Five fields (minute hour day-of-month month day-of-week; names like MON work), @daily and friends, or N seconds (1 to 59)."
        onChange={(e) => change("schedule", e.target.value, "schedule")}
      />
      <FormField kind="select" label="Time zone" name="timezone" value={draft.timezone} options={zones} error={errors.fields.timezone} hint="The expression is read in this zone, across daylight-saving changes." onChange={(e) => change("timezone", e.target.value, "timezone")} />
      <FirePreview next={previewError ? undefined : preview.data?.next} timezone={probe.timezone} pending={preview.isFetching} />
      <FormField
        kind="textarea"
        label="Payload (JSON)"
        name="payload"
        rows={4}
        spellCheck={false}
        className="font-mono"
        value={draft.payloadText}
        error={errors.fields.payload}
        hint="A JSON object handed to the app's onJob with each run; empty means {}."
        onChange={(e) => change("payloadText", e.target.value, "payload")}
      />
      <FormField kind="select" label="When a run is still going" name="overlapPolicy" value={draft.overlapPolicy} options={OVERLAP} error={errors.fields.overlapPolicy} onChange={(e) => change("overlapPolicy", e.target.value === "queue" ? "queue" : "skip", "overlapPolicy")} />
      <FormField kind="checkbox" label="Enabled" name="enabled" checked={draft.enabled} error={errors.fields.enabled} onChange={(e) => change("enabled", e.target.checked, "enabled")} />
      <FormError>{errors.form}</FormError>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={saving}>
          {saving ? "Saving…" : mode === "create" ? "Create schedule" : "Save changes"}
        </Button>
        <Button type="button" variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
