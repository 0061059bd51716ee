import { ConnectionLender } from './connection.lender';
import { ConnectionProofs } from './connection.proofs';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type {
  Outcome,
  PositionRead,
  ReplicaAnswer,
  ReplicaTry,
} from './interfaces/node-answers.interface';
import type { Work } from './interfaces/routed.interface';
import type { Lsn } from './lsn.util';
import type { NodeRegistry } from './node-registry.service';
import { PrimaryExecutor } from './primary.executor';
import { checkedRead } from './postgres/checked-read';
import { StreamedTimelines } from './postgres/streamed-timelines';
import {
  replayCovers,
  replayOfRows,
  replayPosition,
  REPLAY_POSITION_STATEMENT,
  sameSession,
  type Replay,
} from './postgres/wal.queries';
import { countRouted } from './query-count';
import type { RoutingAdapter, SavepointHooks } from './routing.adapter';

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
  private readonly primary: PrimaryExecutor<H>;

  constructor(
    options: ResolvedReplicaRoutingOptions,
    private readonly registry: NodeRegistry,
    private readonly adapter: Pick<RoutingAdapter<H>, 'bind'>,
  ) {
    this.lender = new ConnectionLender(options, registry);
    this.proofs = new ConnectionProofs(options.connectionProofs);
    this.primary = new PrimaryExecutor(this.lender, registry, adapter);
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
      // A standby that shows no timeline (no visible WAL receiver) passed for the read's: name it.
      served: served && {
        result: served.result,
        token: { tli: replayed.tli ?? read.tli, lsn: served.token },
      },
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
    return { replayed: seen, served: { result, token: { tli: seen.tli ?? tli, lsn: seen.lsn! } } };
  }

  /** A read on the primary: see {@link PrimaryExecutor.readOnPrimary}. */
  readOnPrimary<T>(work: Work<T, H>, position: PositionRead, writes = false): Promise<Outcome<T>> {
    return this.primary.readOnPrimary(work, position, writes);
  }

  /** A write on the primary: see {@link PrimaryExecutor.writeOnPrimary}. */
  writeOnPrimary<T>(
    work: (handle: H) => Promise<T>,
    transaction: boolean,
    withToken = true,
    savepoints?: SavepointHooks,
  ) {
    return this.primary.writeOnPrimary(work, transaction, withToken, savepoints);
  }

  /** The primary's current insert position and timeline, on a pooled connection. */
  primaryPosition(): Promise<{ lsn: Lsn; tli: number }> {
    return this.primary.primaryPosition();
  }
}
