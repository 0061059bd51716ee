import { markCommitUnknown, refusedOutright } from './commit-unknown';
import type { ConnectionLender } from './connection.lender';
import { isAbortedTransaction } from './db-errors.util';
import { TransactionAbortedError } from './exceptions/transaction-aborted.exception';
import { TransactionEndedError } from './exceptions/transaction-ended.exception';
import type { Outcome, PositionRead } from './interfaces/node-answers.interface';
import type { Work } from './interfaces/routed.interface';
import type { Lsn } from './lsn.util';
import type { NodeRegistry } from './node-registry.service';
import type { Position } from './position';
import { commitWarned, committedPosition, syncCommitSetting } from './postgres/commit-token';
import { watchTransactionEnd } from './postgres/connection-hygiene';
import { insertPosition } from './postgres/wal.queries';
import { countRouted } from './query-count';
import { PRIMARY_NODE } from './replica-routing.constants';
import type { RoutingAdapter, SavepointHooks } from './routing.adapter';

/**
 * Runs work on the primary for {@link NodeExecutor}: reads, and writes with
 * their COMMIT and token, on connections of its {@link ConnectionLender}.
 * Errors propagate; positions go back to the caller.
 */
export class PrimaryExecutor<H = unknown> {
  constructor(
    private readonly lender: ConnectionLender,
    private readonly registry: NodeRegistry,
    private readonly adapter: Pick<RoutingAdapter<H>, 'bind'>,
  ) {}

  /** A statement of the library's own on the primary, counted as a round trip of routed work. */
  private routed<R>(query: Promise<R>): Promise<R> {
    countRouted(this.registry.queryCount(PRIMARY_NODE), true);
    return query;
  }

  /**
   * A read on the primary, its position read `after` the work (the cover),
   * `before` it, or `none`. A read's work may write (a replica refuses it with
   * 25006 and it lands here): a failure to read the cover after it, or with
   * `writes` (refused so) its own, is {@link markCommitUnknown}: never rerun.
   */
  readOnPrimary<T>(work: Work<T, H>, position: PositionRead, writes = false): Promise<Outcome<T>> {
    return this.lender.lend(PRIMARY_NODE, async (connection, use) => {
      const handle = this.adapter.bind(use.client, { node: PRIMARY_NODE, transaction: false });
      const before = position === 'before' ? await this.routed(insertPosition(connection)) : null;
      const result = await work(handle, PRIMARY_NODE).then(
        (value) => {
          use.revoke(); // as in writeOnPrimary: nothing of the work's after it
          return value;
        },
        (error: unknown) => {
          use.revoke();
          throw writes ? markCommitUnknown(error) : error;
        },
      );
      if (position !== 'after') return { result, token: before };
      try {
        return { result, token: await this.routed(insertPosition(connection)) };
      } catch (error) {
        throw markCommitUnknown(error);
      }
    });
  }

  /**
   * Runs `work` on the primary, in a transaction unless told otherwise; the token is read after
   * COMMIT on the same connection. A thrown error means nothing was committed unless marked
   * {@link markedCommitUnknown}. `token`: null when it could not be read (ask {@link
   * primaryPosition}), `undefined` when not asked for; `flushed`: the synchronous standbys'
   * flush position, not a sample of the primary's.
   */
  async writeOnPrimary<T>(
    work: (handle: H) => Promise<T>,
    transaction: boolean,
    withToken = true,
    savepoints?: SavepointHooks,
  ): Promise<{ result: T; token: Position | null | undefined; flushed?: boolean }> {
    return this.lender.lend(PRIMARY_NODE, async (connection, use) => {
      const send = (sql: string) => this.routed(connection.query(sql));
      let result: T;
      if (transaction) await send('BEGIN');
      // The work may end the transaction itself (a COMMIT or ROLLBACK of its own, perhaps a BEGIN
      // after it): any of its statements' ReadyForQuery says idle. What ran after that committed
      // statement by statement: never run again, never reported as one commit.
      let ended = false;
      const unwatch = transaction ? watchTransactionEnd(connection, 0, () => (ended = true)) : null;
      const endedItself = () => ended || connection.getTransactionStatus?.() === 'I';
      try {
        const context = { node: PRIMARY_NODE, transaction, savepoints };
        result = await work(this.adapter.bind(use.client, context));
      } catch (error) {
        use.revoke();
        unwatch?.();
        if (transaction && endedItself()) throw markCommitUnknown(error);
        if (transaction) await send('ROLLBACK').catch(() => undefined);
        // Without a transaction each statement commits by itself: some may have.
        throw transaction ? error : markCommitUnknown(error);
      }
      // The work is over: a statement it left behind (a timer, an unawaited promise) is refused,
      // not slipped into its transaction before COMMIT.
      use.revoke();
      unwatch?.();
      const committed = (setting: string | null) =>
        this.routed(committedPosition(connection, setting)).catch(() => null);
      // Its statements committed with whatever synchronous_commit they set: the insert position.
      if (!transaction) return { result, token: withToken ? await committed(null) : undefined };
      // A statement failed and the work went on: the transaction is aborted (seen here, as 25P02
      // before COMMIT, or as COMMIT's answer ROLLBACK). Rolled back, nothing committed: say so.
      const aborted = async () => {
        await send('ROLLBACK').catch(() => undefined);
        return new TransactionAbortedError();
      };
      if (endedItself()) {
        // A transaction of the work's own may still be open: not the library's to commit.
        if (connection.getTransactionStatus?.() !== 'I') await send('ROLLBACK').catch(() => null);
        throw markCommitUnknown(new TransactionEndedError());
      }
      if (connection.getTransactionStatus?.() === 'E') throw await aborted();
      let setting: string | null;
      try {
        // What this transaction commits with (a SET LOCAL reverts at COMMIT), asked only when
        // there are synchronous standbys for it to matter (see committedPosition).
        setting =
          this.syncStandbys && withToken ? await this.routed(syncCommitSetting(connection)) : null;
      } catch (error) {
        // Before COMMIT: nothing was committed.
        if (isAbortedTransaction(error)) throw await aborted();
        await send('ROLLBACK').catch(() => undefined);
        throw error;
      }
      let answer: { command?: string }, warned: boolean;
      try {
        ({ answer, warned } = await commitWarned(connection, setting, () => send('COMMIT')));
      } catch (error) {
        if (connection.getTransactionStatus?.() !== 'I')
          await send('ROLLBACK').catch(() => undefined);
        throw refusedOutright(error) ? error : markCommitUnknown(error);
      }
      if (answer.command === 'ROLLBACK') throw new TransactionAbortedError();
      if (!withToken) return { result, token: undefined };
      const token = await committed(warned ? null : setting); // warned: committed here only
      if (token) this.syncStandbys = token.syncStandbys;
      const position = token && { lsn: token.lsn, tli: token.tli };
      return { result, token: position, flushed: token?.flushed };
    });
  }

  /** Whether the primary had synchronous standbys at the last commit (read after each). */
  private syncStandbys = true;

  /** The primary's current insert position and timeline, on a pooled connection. */
  async primaryPosition(): Promise<{ lsn: Lsn; tli: number }> {
    return this.lender.lend(PRIMARY_NODE, (connection) => this.routed(insertPosition(connection)));
  }
}
