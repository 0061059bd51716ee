import type { Logger } from '@nestjs/common';
import type { Callback } from './routing-context.service';

/** Runs `afterCommit` / `afterRollback` callbacks in order; one that throws is logged and does not stop the rest. */
export async function runCallbacks(
  logger: Logger,
  kind: 'afterCommit' | 'afterRollback',
  callbacks: readonly Callback[],
): Promise<void> {
  for (const callback of callbacks) {
    try {
      await callback();
    } catch (error) {
      logger.error(
        `${kind} callback failed: ${error instanceof Error ? error.stack : String(error)}`,
      );
    }
  }
}
