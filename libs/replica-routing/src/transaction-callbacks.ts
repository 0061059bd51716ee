import type { RoutingLogger } from './logger';
import type { SavepointHooks } from './routing.adapter';
import type { Callback } from './routing-context.service';

/**
 * The callbacks of one `write()`, and its savepoints' marks in them: a
 * savepoint rolled back takes its `afterCommit` callbacks with it (what they
 * announce never commits), and its `afterRollback` ones run whatever the
 * write's outcome (`undone`, after a commit too: their part never committed).
 */
export class WriteCallbacks implements SavepointHooks {
  readonly afterCommit: Callback[] = [];
  readonly afterRollback: Callback[] = [];
  /** `afterRollback` callbacks of savepoints rolled back, in the order they were registered. */
  readonly undone: Callback[] = [];
  /** Per open savepoint (savepoints stack), how many callbacks there were when it opened. */
  private readonly marks: { commit: number; rollback: number; undone: number }[] = [];

  opened(): void {
    const { afterCommit, afterRollback, undone } = this;
    this.marks.push({
      commit: afterCommit.length,
      rollback: afterRollback.length,
      undone: undone.length,
    });
  }

  released(): void {
    this.marks.pop();
  }

  rolledBack(): void {
    const mark = this.marks.pop();
    if (!mark) return;
    this.afterCommit.splice(mark.commit);
    // Those of savepoints inside it rolled back already are among its own: listed once, in order.
    this.undone.splice(mark.undone);
    this.undone.push(...this.afterRollback.slice(mark.rollback));
  }
}

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
