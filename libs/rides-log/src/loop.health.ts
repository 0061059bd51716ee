/** How long past its longest wait a worker's loop may take to end a round before it counts as stuck, ms. */
export const ROUND_GRACE_MS = 15_000;

/**
 * Whether a loop whose last round ended at `lastRoundAt` (0: none yet) is
 * turning at `now`, both on `performance.now()`'s monotonic clock (a step of
 * the wall clock makes no loop stuck): it ended within {@link ROUND_GRACE_MS} plus the longest the loop
 * waits between two rounds (`longestWaitMs`: a poll, a blocking read), so
 * that a quiet worker with a long wait is not taken for a stuck one.
 */
export function loopTurning(lastRoundAt: number, longestWaitMs: number, now: number): boolean {
  return lastRoundAt > 0 && now - lastRoundAt < ROUND_GRACE_MS + longestWaitMs;
}
