"use client";
import { Button } from "../../../components/button.tsx";
import { FormField } from "../../../components/form-field.tsx";
import { LOG_LEVELS, type WorkerLogLevel } from "../../log-lines.ts";

export interface LogToolbarProps {
  levels: ReadonlySet<WorkerLogLevel>;
  onToggleLevel(level: WorkerLogLevel): void;
  search: string;
  onSearch(text: string): void;
  paused: boolean;
  heldCount: number;
  onPause(): void;
  onResume(): void;
  onClear(): void;
}

/** The logs panel's controls: which levels show, a text search, pause/resume and clear. */
export function LogToolbar({ levels, onToggleLevel, search, onSearch, paused, heldCount, onPause, onResume, onClear }: LogToolbarProps) {
  return (
    <div className="flex flex-wrap items-end gap-4">
      <fieldset className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <legend className="mb-1 text-sm font-medium text-slate-700 dark:text-slate-200">Levels</legend>
        {LOG_LEVELS.map((level) => (
          <FormField key={level} kind="checkbox" label={level} checked={levels.has(level)} onChange={() => onToggleLevel(level)} />
        ))}
      </fieldset>
      <div className="w-64 max-w-full">
        <FormField kind="text" label="Search" placeholder="Text in the message" value={search} onChange={(e) => onSearch(e.target.value)} />
      </div>
      <div className="flex flex-wrap items-center gap-2">
        {paused ? (
          <Button type="button" onClick={onResume}>
            Resume
          </Button>
        ) : (
          <Button type="button" variant="secondary" onClick={onPause}>
            Pause
          </Button>
        )}
        <Button type="button" variant="secondary" onClick={onClear}>
          Clear
        </Button>
        {paused && (
          <span data-testid="held-count" role="status" className="text-sm text-slate-700 dark:text-slate-300">
            Paused · {heldCount} new line{heldCount === 1 ? "" : "s"}
          </span>
        )}
      </div>
    </div>
  );
}
