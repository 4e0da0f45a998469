import { z } from "zod";
import { ExactNumber, survivesDouble } from "../http/exact-number.ts";
import { hasLoneSurrogate } from "../http/input-integrity.ts";

/** The longest context accepted, as JSON text: it is stored in a row and compared on every share-token call. */
export const MAX_CONTEXT_BYTES = 2048;
const MAX_DEPTH = 16;
const MAX_KEY_LENGTH = 100;

type Path = (string | number)[];
class Refused {
  constructor(
    readonly path: Path,
    readonly message: string,
  ) {}
}

const quoted = (key: string) => JSON.stringify(key.length > 20 ? `${key.slice(0, 20)}…` : key);

/** Why PostgreSQL's jsonb could not store this text as it is, or undefined when it can. */
function textProblem(s: string): string | undefined {
  // jsonb refuses \u0000 (its text type cannot hold NUL) with an error of its own; we say it first, in our words.
  if (s.includes("\0")) return "cannot contain the NUL character (U+0000)";
  // PostgreSQL would store U+FFFD in its place without a word.
  if (hasLoneSurrogate(s)) return "cannot contain a lone UTF-16 surrogate";
  return undefined;
}

function checkKey(key: string, path: Path): void {
  // zod (and any object built by assignment) drops this key or takes it for the prototype; refusing it is the
  // only way not to lose it silently, and app code reading the context then never meets it either.
  if (key === "__proto__") throw new Refused(path, 'a share context cannot have the key "__proto__"');
  if (path.length === 0 && (key.length === 0 || key.length > MAX_KEY_LENGTH)) {
    throw new Refused(path, `context keys are 1 to ${MAX_KEY_LENGTH} characters; ${key.length === 0 ? "this one is empty" : `${quoted(key)} has ${key.length}`}`);
  }
  const problem = textProblem(key);
  if (problem) throw new Refused(path, `the key ${quoted(key)} ${problem}`);
}

/**
 * The value as it will be stored, or Refused: a copy in which the numbers the body parser kept as ExactNumber
 * (lossless-json's "unsafe" ones: every integer past Number.MAX_SAFE_INTEGER, and some with an exponent such as
 * 1e308) become plain numbers when a double holds their digits exactly, so the stored context reads back as the
 * number sent.
 */
function normalise(v: unknown, path: Path): unknown {
  if (v === null || typeof v === "boolean") return v;
  if (typeof v === "string") {
    const problem = textProblem(v);
    if (problem) throw new Refused(path, `text in a share context ${problem}`);
    return v;
  }
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Refused(path, "numbers must be finite");
    return v;
  }
  if (v instanceof ExactNumber) {
    if (survivesDouble(v.digits)) return Number(v.digits);
    const shown = v.digits.length > 40 ? `${v.digits.slice(0, 40)}…` : v.digits;
    throw new Refused(path, `numbers in a share context must be ones a double holds exactly: ${shown} is not (send it as a string)`);
  }
  // Named by its top-level key: the full path of a value nested this deep would be the longest part of the message.
  if (path.length > MAX_DEPTH) throw new Refused(path.slice(0, 1), `values may be nested at most ${MAX_DEPTH} levels deep`);
  if (Array.isArray(v)) return v.map((x, i) => normalise(x, [...path, i]));
  const proto = typeof v === "object" ? (Object.getPrototypeOf(v) as unknown) : undefined;
  if (proto !== Object.prototype && proto !== null) throw new Refused(path, `${typeof v} is not a JSON value`);
  // Object.fromEntries defines keys, never assigns them: no key can reach a prototype.
  return Object.fromEntries(
    Object.entries(v as object).map(([key, x]) => {
      checkKey(key, path);
      return [key, normalise(x, [...path, key])];
    }),
  );
}

const isObject = (v: unknown): v is object => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof ExactNumber);

/**
 * What a share is for, as the app defines it (`{"board_id": "…"}`): the keys a public RPC's `scope` names are
 * compared with the call's params. Checked on the input as sent, before zod's record parse (which would drop a
 * `__proto__` key without a word), and stored only in a form that jsonb keeps and reads back unchanged.
 */
export const shareContext = z.preprocess(
  (value, ctx) => {
    if (!isObject(value)) return value; // the record below refuses it with its own sentence
    try {
      return normalise(value, []);
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      ctx.addIssue({ code: "custom", message: err.message, path: err.path });
      return value;
    }
  },
  z
    // The key rule is checked above with its own sentence; stated here too for the API reference.
    .record(z.string().min(1).max(MAX_KEY_LENGTH), z.unknown(), { error: 'context must be a JSON object, e.g. {"board_id": "…"}' })
    // Measured only once the depth is known to be bounded (JSON.stringify recurses).
    .refine((context) => Buffer.byteLength(JSON.stringify(context)) <= MAX_CONTEXT_BYTES, `context must be at most ${MAX_CONTEXT_BYTES} bytes of JSON`),
);
export type ShareContext = z.infer<typeof shareContext>;
