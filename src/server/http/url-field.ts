/**
 * One check of a URL field, for zod refinements. zod runs every refinement of a field even after one failed,
 * so a check that called `new URL(v)` on text that is not a URL threw a TypeError (a 500) instead of answering
 * 400. Each check after the field's `URL.canParse` refinement goes through this: text that does not parse
 * passes it, and only the "must be an absolute URL" sentence is reported.
 */
export function ifUrl(value: string, check: (url: URL) => boolean): boolean {
  return !URL.canParse(value) || check(new URL(value));
}
