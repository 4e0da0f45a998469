/**
 * The vault's name rules, restated for the Studio (the server's zod schema cannot be imported here: zod v4
 * compiles with `Function()`, which the Studio's CSP refuses). The server checks them again on every write.
 */
export type SecretKind = "platform" | "app";

const PLATFORM_NAME = /^[A-Za-z0-9_]+$/;
// Control characters are what the server refuses in an app secret's name (it is otherwise free-form).
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The rule as a sentence, shown as the field's hint before anyone gets it wrong. */
export function nameRule(kind: SecretKind): string {
  return kind === "platform"
    ? "Letters (A–Z, a–z), digits and _ only, e.g. SLACK_TOKEN; delivered to every backend as an environment variable."
    : "Any name up to 200 characters, without control characters.";
}

/** Why `name` is refused, as a readable sentence, or undefined when it is acceptable. */
export function nameProblem(kind: SecretKind, name: string): string | undefined {
  if (name === "") return "Give the secret a name.";
  if (name.length > 200) return "Secret names are at most 200 characters.";
  if (kind === "platform" && !PLATFORM_NAME.test(name)) return "Platform secret names use only letters, digits and _ (no spaces, dashes or dots).";
  if (kind === "app" && CONTROL.test(name)) return "Secret names must not contain control characters.";
  return undefined;
}

/** The success sentence of a save: restarts are mentioned only when some happened. */
export function savedSentence(name: string, workersRestarted: number | undefined): string {
  if (!workersRestarted) return `Saved ${name}.`;
  return `Saved ${name}; ${workersRestarted} worker${workersRestarted === 1 ? "" : "s"} restarted to pick it up.`;
}
