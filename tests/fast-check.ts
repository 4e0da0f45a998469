import fc from "fast-check";
import { expect } from "vitest";
import { z } from "zod";

/**
 * Parameters for every `fc.assert` in the tests, so that any run can be replayed: the seed is printed before the
 * property runs, and a failure prints the seed and path of its counterexample (verbose: with the values tried).
 * Replay with `FC_SEED=<seed> FC_PATH=<path> npx vitest run tests/<file>.test.ts -t "<test name>"`.
 */
const replay = z
  .object({
    FC_SEED: z.coerce.number().int().optional(),
    FC_PATH: z.string().regex(/^\d+(:\d+)*$/, "FC_PATH: expected the path fast-check printed, e.g. 12:0:3").optional(),
  })
  .parse(process.env);

// One seed per test file: a fresh one on each run unless FC_SEED pins it.
const seed = replay.FC_SEED ?? (Math.random() * 0x7fffffff) | 0;

export function fcParams<T>(params: fc.Parameters<T> = {}): fc.Parameters<T> {
  const test = expect.getState().currentTestName ?? "a property";
  console.info(`fast-check: "${test}" runs with seed ${seed}${replay.FC_PATH ? ` and path ${replay.FC_PATH}` : ""}`);
  return {
    ...params,
    seed,
    verbose: fc.VerbosityLevel.Verbose,
    // Replaying a path runs that one counterexample (and its shrinks), not a new search.
    ...(replay.FC_PATH ? { path: replay.FC_PATH, endOnFailure: true } : {}),
  };
}
