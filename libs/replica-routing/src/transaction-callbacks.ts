import type { RoutingLogger } from './logger';
import type { Callback } from './routing-context.service';

/** Runs `afterCommit` / `afterRollback` callbacks in order; one that throws is logged and does not stop the rest. */
export async function runCallbacks(
  logger: RoutingLogger,
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
