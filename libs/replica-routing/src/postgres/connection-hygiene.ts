import type { PgConnection } from './pg-connection';

/**
 * Why a pooled connection may not be lent again (the `reason` label of
 * `replica_routing_connections_discarded_total`):
 * - `in_transaction`: a transaction is open, with its snapshot (a later read
 *   would see that old snapshot although its replay check passes);
 * - `failed_transaction`: an aborted transaction (every later statement fails with 25P02);
 * - `busy`: a statement is still running or queued (a work that returned before
 *   its statements did, such as one abandoned by a timeout race);
 * - `unknown`: the client cannot say (not connected, or a driver that does not report it).
 */
export const DISCARD_REASONS = ['in_transaction', 'failed_transaction', 'busy', 'unknown'] as const;
export type DiscardReason = (typeof DISCARD_REASONS)[number];

/**
 * The state node-postgres keeps of its server session. `getTransactionStatus()`
 * is the status byte of the last ReadyForQuery: `I` idle, `T` in a
 * transaction, `E` in a failed one. The rest tells whether a query is in flight.
 */
interface SessionState {
  getTransactionStatus?(): string | null;
  readyForQuery?: boolean;
  _queryQueue?: unknown[];
  _sentQueryQueue?: unknown[];
}

/**
 * Why `connection` must not go back to a pool, or null when it may: only an
 * idle session with nothing in flight is clean (docs/design.md, "A connection
 * carries state").
 */
export function uncleanState(connection: PgConnection): DiscardReason | null {
  const session = connection as PgConnection & SessionState;
  if (typeof session.getTransactionStatus !== 'function') return 'unknown';
  if (
    session.readyForQuery !== true ||
    (session._queryQueue?.length ?? 0) > 0 ||
    (session._sentQueryQueue?.length ?? 0) > 0
  )
    return 'busy';
  switch (session.getTransactionStatus()) {
    case 'I':
      return null;
    case 'T':
      return 'in_transaction';
    case 'E':
      return 'failed_transaction';
    default:
      return 'unknown';
  }
}

/**
 * Calls `onIdle` if the session passes through idle (status `I`) in any
 * ReadyForQuery after the first `skip` ones: a transaction the caller opened
 * was ended by someone else (a nested COMMIT). Returns a function that stops
 * watching.
 */
export function watchTransactionEnd(
  connection: PgConnection,
  skip: number,
  onIdle: () => void,
): () => void {
  const wire = connection.connection as
    | {
        on?(event: string, fn: (msg: { status?: string }) => void): void;
        off?(event: string, fn: unknown): void;
      }
    | undefined;
  if (typeof wire?.on !== 'function') return () => undefined;
  let seen = 0;
  const listener = (msg: { status?: string }) => {
    if (++seen > skip && msg.status === 'I') onIdle();
  };
  wire.on('readyForQuery', listener);
  return () => wire.off?.('readyForQuery', listener);
}

/**
 * Resolves once `connection` has nothing in flight (node-postgres' `drain`,
 * after a ReadyForQuery), or after `withinMs`. A statement the server refused
 * fails its work as soon as the error comes, before the ReadyForQuery that
 * ends it: the session is clean a moment later, not to be closed as busy.
 */
export function drained(connection: PgConnection, withinMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      connection.removeListener('drain', done);
      resolve();
    };
    const timer = setTimeout(done, withinMs);
    timer.unref();
    connection.once('drain', done);
  });
}
