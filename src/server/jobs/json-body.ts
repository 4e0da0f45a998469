import type { z } from "zod";

/**
 * Shared by the job and schedule bodies: a strict object's refusal that names the unknown key (an object-level
 * `error` would otherwise answer every issue, an extra key included, with "the body must be a JSON object…"), and
 * the `__proto__` refusal of payloads.
 */

/** The `error` of a strict z.object: `unknown key "x": <hint>` for extra keys, `<typeError>` for anything else. */
export function strictBodyError(typeError: string, hint: string) {
  return (iss: z.core.$ZodRawIssue): string =>
    iss.code === "unrecognized_keys"
      ? `unknown ${iss.keys.length > 1 ? "keys" : "key"} ${iss.keys.map((k) => JSON.stringify(k)).join(", ")}: ${hint}`
      : typeError;
}

/**
 * Where `value` holds an own `__proto__` key (JSON.parse makes one from `{"__proto__": …}`), as a path, or undefined.
 * Refused rather than kept: an object schema (z.record) drops it without a word, and app code that spreads or
 * assigns such a payload would take it for the prototype. The share contexts refuse it for the same reasons.
 */
export function protoKeyPath(value: unknown, path = "payload", depth = 0): string | undefined {
  if (typeof value !== "object" || value === null || depth > 64) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = protoKeyPath(value[i], `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (Object.hasOwn(value, "__proto__")) return path;
  for (const [k, v] of Object.entries(value)) {
    const found = protoKeyPath(v, `${path}.${k}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

export const protoKeyMessage = (path: string) => `${path} cannot have the key "__proto__"`;
