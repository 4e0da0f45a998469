/**
 * Turns any API failure into readable sentences: one per form field plus one for the whole form.
 * tRPC input errors arrive as the JSON text of zod issues and REST errors as `{ error: "path.to.field: message" }`;
 * neither may ever reach the screen as it is.
 */
export interface FormErrors {
  /** Field name (the dotted path, e.g. `permissions` or `changes.description`) → readable sentence. */
  fields: Record<string, string>;
  /** What concerns the form as a whole, or a field the form does not show. */
  form?: string;
}

interface Issue {
  path: (string | number)[];
  message: string;
}

function isIssueList(v: unknown): v is Issue[] {
  return Array.isArray(v) && v.every((i) => typeof i === "object" && i !== null && Array.isArray((i as Issue).path) && typeof (i as Issue).message === "string");
}

/** "Invalid string: must match pattern /…/" reads as a sentence without the regex noise. */
export function sentence(message: string): string {
  const cleaned = message.replace(/\s*\/\^?.*\$?\/[a-z]*$/, "").replace(/:\s*$/, "").trim() || "Invalid value";
  const capital = cleaned.charAt(0).toUpperCase() + cleaned.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

function messageOf(err: unknown): string {
  if (typeof err === "string") return err;
  if (err instanceof Error) return err.message;
  if (typeof err === "object" && err !== null && typeof (err as { error?: unknown }).error === "string") return (err as { error: string }).error;
  return "Something went wrong.";
}

/**
 * `known` lists the field names the form shows; an error on another path (or on an array item of a known
 * field, `permissions.2` → `permissions`) goes to the form-level message or its nearest known parent.
 */
export function toFormErrors(err: unknown, known: readonly string[] = []): FormErrors {
  const raw = messageOf(err);
  const out: FormErrors = { fields: {} };
  const place = (path: string, text: string) => {
    const parts = path.split(".");
    for (let n = parts.length; n > 0; n--) {
      const candidate = parts.slice(0, n).join(".");
      if (known.includes(candidate)) {
        out.fields[candidate] ??= sentence(text);
        return;
      }
      // `changes.description` maps to a form field named `description`.
      const last = parts[n - 1]!;
      if (n === parts.length && known.includes(last)) {
        out.fields[last] ??= sentence(text);
        return;
      }
    }
    const label = path ? `${path}: ` : "";
    out.form = out.form ? `${out.form} ${label}${sentence(text)}` : `${label}${sentence(text)}`;
  };

  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (isIssueList(parsed)) {
    for (const issue of parsed) place(issue.path.map(String).join("."), issue.message);
    if (!out.form && Object.keys(out.fields).length === 0) out.form = "The form has invalid values.";
    return out;
  }
  // REST: "path.to.field: message" (a field path has no spaces).
  const m = /^([A-Za-z_][\w.]*): (.+)$/s.exec(raw);
  if (m) {
    place(m[1]!, m[2]!);
    return out;
  }
  // The Data API names the field inside its sentence: `field "age" expects a number, got "x"`.
  const named = /^field "([^"]+)"/.exec(raw);
  if (named && known.includes(named[1]!)) {
    out.fields[named[1]!] = sentence(raw);
    return out;
  }
  out.form = sentence(raw);
  return out;
}

/** One readable sentence for a toast or an inline error where there are no fields. */
export function errorSentence(err: unknown): string {
  const e = toFormErrors(err);
  return [e.form, ...Object.entries(e.fields).map(([k, v]) => `${k}: ${v}`)].filter(Boolean).join(" ");
}

/**
 * For panels not yet on FormField (via `ui.tsx` errorMessage): zod issue JSON becomes sentences, any other
 * message is passed through unchanged so their tests keep their exact texts until converted.
 */
export function legacyErrorMessage(err: unknown): string {
  const raw = messageOf(err);
  if (!raw.trimStart().startsWith("[")) return raw;
  return errorSentence(err);
}
