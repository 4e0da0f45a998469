/** A timestamp as the reader's local date and time, or `none` when there is none. */
export function formatWhen(iso: string | null | undefined, none: string): string {
  return iso ? new Date(iso).toLocaleString() : none;
}
