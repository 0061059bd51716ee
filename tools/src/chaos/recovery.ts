import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `progress()` until it has grown by `by` from its value now; resolves
 * with the seconds it took, or `undefined` after `timeoutMs`: whatever should
 * have recovered by itself did not.
 */
export async function waitForProgress(
  progress: () => number,
  timeoutMs: number,
  by = 3,
): Promise<number | undefined> {
  const started = Date.now();
  const from = progress();
  while (progress() < from + by) {
    if (Date.now() - started > timeoutMs) return undefined;
    await sleep(100);
  }
  return (Date.now() - started) / 1000;
}
