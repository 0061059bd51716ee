import { markCommitUnknown, refusedOutright } from './commit-unknown';
import { ConnectionLender } from './connection.lender';
import { ConnectionProofs } from './connection.proofs';
import { isAbortedTransaction } from './db-errors.util';
import { TransactionAbortedError } from './exceptions/transaction-aborted.exception';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type { Outcome, ReplicaAnswer, ReplicaTry } from './interfaces/node-answers.interface';
import type { PositionRead } from './interfaces/node-answers.interface';
import type { Work } from './interfaces/routed.interface';
import type { Lsn } from './lsn.util';
import type { NodeRegistry } from './node-registry.service';
import { checkedRead } from './postgres/checked-read';
import { commitWarned } from './postgres/commit-warnings';
import { StreamedTimelines } from './postgres/streamed-timelines';
import {
  committedPosition,
  insertPosition,
  replayCovers,
  replayOfRows,
  replayPosition,
  REPLAY_POSITION_STATEMENT,
  sameSession,
  syncCommitSetting,
  type Replay,
} from './postgres/wal.queries';
import { countRouted } from './query-count';
import { PRIMARY_NODE } from './replica-routing.constants';
import type { RoutingAdapter } from './routing.adapter';
import type { Position } from './position';

/**
 * Runs work on one node, with the checks that make the answer trustworthy,
 * and returns what it observed. It decides nothing about routing: errors
 * propagate (the router charges the node), positions go back to the caller.
 */
export class NodeExecutor<H = unknown> {
  /** Per replica: the timeline it last streamed, for when it streams nothing. */
  private readonly timelines = new StreamedTimelines();
  private readonly lender: ConnectionLender;
  private readonly proofs: ConnectionProofs;

  constructor(
    options: ResolvedReplicaRoutingOptions,
    private readonly registry: NodeRegistry,
    private readonly adapter: Pick<RoutingAdapter<H>, 'bind'>,
  ) {
    this.lender = new ConnectionLender(options, registry);
    this.proofs = new ConnectionProofs(options.connectionProofs);
  }

  /**
   * Runs a read on a replica only if the replica itself says, on the very
   * connection that runs the read, that it has replayed `token` on timeline
   * `tli` (null: none known yet), waiting up to `waitMs`. The cached position
   * is only a hint; this check is the proof. A connection that has proven a
   * position on that timeline before needs no check for a token at or below
   * it: a live connection's standby only replays forward (a restart ends the
   * connection). Without a cover the read runs alone; else {@link coveredOnProven}.
   */
  readOnReplica<T>(
    name: string,
    token: Lsn | null,
    tli: number | null,
    work: Work<T, H>,
    opts: { waitMs: number; cover: boolean },
  ): Promise<ReplicaAnswer<T>> {
    // Not async: a proven read's promise is its covered read's, with no frame of its own.
    return this.lender.lend(name, (connection, use, hold) => {
      const run = () =>
        work(this.adapter.bind(use.client, { node: name, transaction: false }), name);
      const read = { name, connection, use, hold, token, tli, run, opts };
      const proven = this.proofs.of(name, connection);
      if (token === null || !proven || !replayCovers(proven, token, tli))
        return this.checkedOn(read, proven);
      if (opts.cover) return this.coveredOnProven(read, proven, token);
      return run().then((result) => ({
        replayed: undefined,
        served: { result, token: { tli, lsn: token } },
      }));
    });
  }

  /** A read checked in-band on its connection (`checkedRead`), its proof recorded. */
  private async checkedOn<T>(
    read: ReplicaTry<T>,
    proven: Replay | undefined,
  ): Promise<ReplicaAnswer<T>> {
    const { name, connection } = read;
    const answer = await checkedRead({
      connection,
      token: read.token,
      tli: read.tli,
      interpret: (rows) => this.timelines.effective(name, replayOfRows(rows)),
      work: read.run,
      cover: read.opts.cover,
      waitMs: read.opts.waitMs,
      count: this.registry.queryCount(name),
      onEnd: read.hold,
    });
    const { replayed, served } = answer;
    if (proven && !sameSession(proven, replayed)) this.proofs.sessionChanged(name, connection);
    else if (served && replayed.lsn !== null) {
      const later = proven && proven.tli === replayed.tli && proven.lsn! > replayed.lsn;
      this.proofs.record(name, connection, later ? proven : replayed);
    }
    return {
      ...answer,
      served: served && { result: served.result, token: { tli: replayed.tli, lsn: served.token } },
    };
  }

  /**
   * A covered read on a connection that has proven `token` before: no check
   * and no transaction. The position query leaves right behind the work's
   * first statement, in the same write, and runs after it: under READ
   * COMMITTED that statement's snapshot was taken when it started, so the
   * position is at or after every commit it saw (but see docs/design.md,
   * "What is not handled"). A work of several statements asks once more,
   * after its last one. Two statements in one round trip, where the checked
   * read takes five. Answered by another server session than the proof's,
   * the proof is void: the read is checked in-band.
   */
  private async coveredOnProven<T>(
    read: ReplicaTry<T>,
    proven: Replay,
    token: Lsn,
  ): Promise<ReplicaAnswer<T>> {
    const { name, use, connection, tli } = read;
    use.sendBehindFirst(REPLAY_POSITION_STATEMENT);
    const result = await read.run();
    const behind = use.statements === 1 ? use.behindAnswer() : undefined;
    const answer = behind instanceof Promise ? await behind : behind;
    // None sent, none held by the session, or it failed (a cancel, a conflict): ask now.
    if (!answer) countRouted(this.registry.queryCount(name), true);
    const replay = answer ? replayOfRows(answer.rows) : await replayPosition(connection);
    const seen = this.timelines.effective(name, replay);
    if (!sameSession(proven, seen)) {
      this.proofs.sessionChanged(name, connection);
      return this.checkedOn(read, proven);
    }
    // Promoted, or moved to another timeline, meanwhile: not an answer to trust; the connection
    // must prove itself again.
    if (!replayCovers(seen, token, tli)) {
      this.proofs.forget(connection);
      return { replayed: seen };
    }
    this.proofs.record(name, connection, seen);
    return { replayed: seen, served: { result, token: { tli: seen.tli, lsn: seen.lsn! } } };
  }

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
      const result = await work(handle, PRIMARY_NODE).catch((error: unknown) => {
        throw writes ? markCommitUnknown(error) : error;
      });
      if (position !== 'after') return { result, token: before };
      try {
        return { result, token: await this.routed(insertPosition(connection)) };
      } catch (error) {
        throw markCommitUnknown(error);
      }
    });
  }

  /**
   * Runs `work` on the primary, in a transaction unless told otherwise, and
   * reads the token after COMMIT on the same connection. A thrown error means
   * nothing was committed unless marked {@link markedCommitUnknown}. `token`:
   * null when it could not be read (ask {@link primaryPosition}), `undefined`
   * when not asked for; `flushed`: it is the synchronous standbys' flush
   * position, not a sample of the primary's.
   */
  async writeOnPrimary<T>(
    work: (handle: H) => Promise<T>,
    transaction: boolean,
    withToken = true,
  ): Promise<{ result: T; token: Position | null | undefined; flushed?: boolean }> {
    return this.lender.lend(PRIMARY_NODE, async (connection, use) => {
      const send = (sql: string) => this.routed(connection.query(sql));
      let result: T;
      if (transaction) await send('BEGIN');
      try {
        result = await work(this.adapter.bind(use.client, { node: PRIMARY_NODE, transaction }));
      } catch (error) {
        if (transaction) await send('ROLLBACK').catch(() => undefined);
        // Without a transaction each statement commits by itself: some may have.
        throw transaction ? error : markCommitUnknown(error);
      }
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
