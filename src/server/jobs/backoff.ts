/**
 * The delay before retry n (n = the attempt that just failed, from 1): base·2^(n−1), capped, with "equal jitter" —
 * half of it fixed, half random — so jobs that failed together do not retry in lockstep, yet each retry still waits
 * at least half its nominal delay and the delays grow with n.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const nominal = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}
