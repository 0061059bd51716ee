import { setTimeout as sleep } from 'node:timers/promises';
import { routingLogger } from './logger';
import { isNodeFailure } from './db-errors.util';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type { Work } from './interfaces/routed.interface';
import type { Lsn } from './lsn.util';
import { type NodeRegistry } from './node-registry.service';
import { routingMetrics } from './metrics/routing.metrics';
import { checkedRead } from './postgres/checked-read';
import { uncleanState } from './postgres/connection-hygiene';
import { StreamedTimelines } from './postgres/streamed-timelines';
import { ClientView, type PgConnection } from './postgres/pg-connection';
import {
  committedPosition,
  inRecovery,
  syncCommitSetting,
  insertPosition,
  replayBehind,
  replayCovers,
  replayOfRows,
  replayPosition,
  REPLAY_POSITION_SQL,
  sameSession,
  type Replay,
} from './postgres/wal.queries';
import { PRIMARY_NODE } from './replica-routing.constants';
import type { RoutingAdapter } from './routing.adapter';
import type { Position } from './topology/timeline-history';

export interface Outcome<T> {
  result: T;
  /** A position covering what the work saw or wrote; null when not computed. */
  token: Position | null;
}

/** What a replica said: how far it had replayed, and the outcome if that was far enough. */
export interface ReplicaAnswer<T> {
  /**
   * What the connection that ran the work said of its replay (lsn null: not
   * in recovery); undefined: not asked (the connection had proven the token before).
   */
  replayed: Replay | undefined;
  /** Absent when the replica had not replayed the token (within the wait). */
  served?: Outcome<T>;
  /** How long the read waited for the replica to replay the token, when it did. */
  waitedMs?: number;
}

/**
 * Runs work on one node, with the checks that make the answer trustworthy,
 * and returns what it observed. It keeps no state and decides nothing about
 * routing: errors propagate (the router charges the node), positions go back
 * to the caller (the router records them).
 */
export class NodeExecutor<H = unknown> {
  private readonly logger = routingLogger(NodeExecutor.name);
  /** Per connection: the highest replay position it has shown, and on which timeline (connections are pg clients). */
  private readonly proven = new WeakMap<object, Replay>();
  /** Primary connections that showed they are not in recovery: a demotion restarts the server, ending them. */
  private readonly primaryConnections = new WeakSet<object>();
  /** Connections this executor has listened to for errors (one listener each). */
  private readonly listened = new WeakSet<object>();
  /** Per replica: the timeline it last streamed, for when it streams nothing. */
  private readonly timelines = new StreamedTimelines();

  constructor(
    private readonly options: ResolvedReplicaRoutingOptions,
    private readonly registry: NodeRegistry,
    private readonly adapter: Pick<RoutingAdapter<H>, 'bind'>,
  ) {}

  /**
   * Runs a read on a replica only if the replica itself says, on the very
   * connection that runs the read, that it has replayed `token` on timeline
   * `tli` (null: none known yet), waiting up to `waitMs`. The cached position
   * is only a hint; this check is the proof. A connection that has proven a
   * position on that timeline before needs no check for a token at or below
   * it: a live connection's standby only replays forward (a restart ends the
   * connection; the pool opens a new one, which proves itself again). Without
   * a cover the read runs alone; with one, see {@link coveredOnProven}.
   */
  async readOnReplica<T>(
    name: string,
    token: Lsn | null,
    tli: number | null,
    work: Work<T, H>,
    opts: { waitMs: number; cover: boolean },
  ): Promise<ReplicaAnswer<T>> {
    return this.onNode(name, async (connection, use, hold) => {
      const run = () =>
        work(this.adapter.bind(use.client, { node: name, transaction: false }), name);
      const proven = this.proofsOn(name) ? this.proven.get(connection) : undefined;
      if (token !== null && proven && replayCovers(proven, token, tli)) {
        if (!opts.cover)
          return {
            replayed: undefined,
            served: { result: await run(), token: { tli, lsn: token } },
          };
        if (connection.pipeline) {
          const answer = await this.coveredOnProven(name, use, connection, token, tli, run);
          if (sameSession(proven, answer.replayed)) {
            // Not covered any more (promoted, another timeline): the connection must prove itself again.
            if (answer.served) this.proven.set(connection, answer.replayed);
            else this.proven.delete(connection);
            return answer;
          }
          // Another server session answered: what the proof said is void. Prove it in-band below.
          this.sessionChanged(name, connection);
        }
      }
      const answer = connection.pipeline
        ? await checkedRead({
            connection,
            token,
            tli,
            interpret: (rows) => this.timelines.effective(name, replayOfRows(rows)),
            work: run,
            cover: opts.cover,
            waitMs: opts.waitMs,
            pollMs: this.options.replicaWaitPollMs,
            count: this.registry.queryCount(name),
            onEnd: hold,
          })
        : await this.checkThenRead(connection, name, token, tli, run, opts);
      const replayed = answer.replayed;
      if (proven && !sameSession(proven, replayed)) this.sessionChanged(name, connection);
      else if (answer.served && replayed.lsn !== null && this.proofsOn(name))
        this.proven.set(
          connection,
          proven && proven.tli === replayed.tli && proven.lsn! > replayed.lsn ? proven : replayed,
        );
      return {
        ...answer,
        served: answer.served && {
          result: answer.served.result,
          token: { tli: replayed.tli, lsn: answer.served.token },
        },
      };
    });
  }

  /**
   * A covered read on a connection that has proven `token` before: no check
   * and no transaction. The position query leaves right behind the work's
   * first statement, in the same write, and runs after it: under READ
   * COMMITTED that statement's snapshot was taken when it started, so the
   * position is at or after every commit it saw (as with the snapshot
   * position of the checked read; Postgres moves the replay position just
   * after a record is applied, a window of microseconds). A work of several statements
   * asks once more, after its last one. Two statements in one round trip,
   * where the check-and-snapshot read takes five.
   */
  private async coveredOnProven<T>(
    name: string,
    use: ClientView,
    connection: PgConnection,
    token: Lsn,
    tli: number | null,
    run: () => Promise<T>,
  ): Promise<ReplicaAnswer<T> & { replayed: Replay }> {
    use.sendBehindFirst(REPLAY_POSITION_SQL);
    const result = await run();
    const answer = use.behindAnswer();
    const replay =
      answer && use.statements === 1
        ? replayOfRows((await answer).rows)
        : await this.ask(name, connection);
    const seen = this.timelines.effective(name, replay);
    // Promoted, or moved to another timeline, meanwhile: not an answer to trust.
    if (!replayCovers(seen, token, tli)) return { replayed: seen };
    return { replayed: seen, served: { result, token: { tli: seen.tli, lsn: seen.lsn! } } };
  }

  /** The replay position, asked on `connection` as a round trip of routed work. */
  private ask(name: string, connection: PgConnection): Promise<Replay> {
    const count = this.registry.queryCount(name);
    count.total++;
    count.routed++;
    count.roundTrips++;
    return replayPosition(connection);
  }

  /** Whether proofs held by connections to `name` may stand in for the in-band check. */
  private proofsOn(name: string): boolean {
    return this.options.connectionProofs && !this.pooled.has(name);
  }

  /** Nodes seen answering one client connection from two server sessions: a pooler in between. */
  private readonly pooled = new Set<string>();

  private sessionChanged(name: string, connection: PgConnection): void {
    this.proven.delete(connection);
    if (this.pooled.has(name)) return;
    this.pooled.add(name);
    this.logger.warn(
      `${name}: one client connection answered from two server sessions (a transaction-mode ` +
        'pooler such as PgBouncer in front of it?). Its connections prove nothing from now on: ' +
        'every read on it is checked in-band. Set connectionProofs: false to say so up front.',
    );
  }

  /** The same proof on a connection that does not pipeline: check (and wait), then read, then cover. */
  private async checkThenRead<T>(
    connection: PgConnection,
    name: string,
    token: Lsn | null,
    tli: number | null,
    run: () => Promise<T>,
    opts: { waitMs: number; cover: boolean },
  ): Promise<{ replayed: Replay; served?: { result: T; token: Lsn }; waitedMs?: number }> {
    const started = Date.now();
    const behind = (r: Replay) => replayBehind(r, token, tli);
    const ask = async () => this.timelines.effective(name, await this.ask(name, connection));
    let replayed = await ask();
    const mustWait = behind(replayed) && opts.waitMs > 0;
    while (behind(replayed)) {
      if (Date.now() >= started + opts.waitMs) break;
      await sleep(this.options.replicaWaitPollMs);
      replayed = await ask();
    }
    const waited = mustWait ? { waitedMs: Date.now() - started } : {};
    if (!replayCovers(replayed, token, tli)) return { replayed, ...waited };
    const result = await run();
    const seen = opts.cover ? (await this.ask(name, connection)).lsn : replayed.lsn;
    if (seen === null) return { replayed: { lsn: null, tli: null }, ...waited };
    return { replayed, served: { result, token: seen }, ...waited };
  }

  /**
   * A read on the primary. Once its work has run, a failure to read the cover
   * is marked {@link markCommitUnknown}: a read's work may write (one sent to
   * a replica fails with 25006 and lands here), so it is never run again.
   */
  async readOnPrimary<T>(work: Work<T, H>, cover: boolean): Promise<Outcome<T>> {
    return this.onNode(PRIMARY_NODE, async (connection, use) => {
      const result = await work(
        this.adapter.bind(use.client, { node: PRIMARY_NODE, transaction: false }),
        PRIMARY_NODE,
      );
      if (!cover) return { result, token: null };
      try {
        return { result, token: await this.routed(PRIMARY_NODE, insertPosition(connection)) };
      } catch (error) {
        throw markCommitUnknown(error);
      }
    });
  }

  /**
   * Runs `work` on the primary, in a transaction unless told otherwise, and
   * reads the token after COMMIT on the same connection. A thrown error means
   * nothing was committed unless it is marked {@link markedCommitUnknown}
   * (the connection failed during COMMIT). `token` is null when the commit went
   * through but the position could not be read on that connection: ask
   * {@link primaryPosition}.
   */
  async writeOnPrimary<T>(
    work: (handle: H) => Promise<T>,
    transaction: boolean,
  ): Promise<{ result: T; token: Position | null }> {
    return this.onNode(PRIMARY_NODE, async (connection, use) => {
      const send = (sql: string) => this.routed(PRIMARY_NODE, connection.query(sql));
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
        this.routed(PRIMARY_NODE, committedPosition(connection, setting)).catch(() => null);
      if (!transaction) return { result, token: await committed('session') };
      if (connection.getTransactionStatus?.() === 'E') {
        // A statement failed and the work went on: COMMIT would only roll back. Say so.
        await send('ROLLBACK').catch(() => undefined);
        throw new Error('a statement of the write failed inside its transaction: rolled back');
      }
      let setting: string | null;
      try {
        // What this transaction commits with (a SET LOCAL reverts at COMMIT), asked only when
        // there are synchronous standbys for it to matter (see committedPosition).
        setting = this.syncStandbys
          ? await this.routed(PRIMARY_NODE, syncCommitSetting(connection))
          : null;
        await send('COMMIT');
      } catch (error) {
        if (connection.getTransactionStatus?.() !== 'I')
          await send('ROLLBACK').catch(() => undefined);
        throw markCommitUnknown(error);
      }
      const token = await committed(setting);
      if (token) this.syncStandbys = token.syncStandbys;
      return { result, token: token && { lsn: token.lsn, tli: token.tli } };
    });
  }

  /** Whether the primary had synchronous standbys at the last commit (read after every commit). */
  private syncStandbys = true;

  /** The primary's current insert position and timeline, on a pooled connection. */
  async primaryPosition(): Promise<{ lsn: Lsn; tli: number }> {
    return this.onNode(PRIMARY_NODE, (connection) =>
      this.routed(PRIMARY_NODE, insertPosition(connection)),
    );
  }

  /** Counts a statement of the library's own routed work on `name` (one round trip). */
  private routed<R>(name: string, query: Promise<R>): Promise<R> {
    const count = this.registry.queryCount(name);
    count.total++;
    count.routed++;
    count.roundTrips++;
    return query;
  }

  /**
   * Runs `fn` on a pooled connection of `name`, with the view of it a work
   * may use. `hold` lets `fn` name a statement it sent without waiting for it
   * (a pipelined COMMIT): the connection goes back to the pool once that one
   * is answered, not before.
   */
  private async onNode<T>(
    name: string,
    fn: (
      connection: PgConnection,
      use: ClientView,
      hold: (trailing: Promise<unknown>) => void,
    ) => Promise<T>,
  ): Promise<T> {
    const leave = this.registry.admit(name);
    let connection: PgConnection | undefined;
    let use: ClientView | undefined;
    let trailing: Promise<unknown> | undefined;
    let broken: Error | undefined;
    try {
      connection = await this.cleanConnection(name);
      use = new ClientView(connection, this.registry.queryCount(name));
      if (name === PRIMARY_NODE) await this.provePrimary(connection);
      return await fn(connection, use, (p) => {
        trailing = p;
      });
    } catch (error) {
      // A connection that failed under the work (lost, or timed out client-side with its query
      // perhaps still running) goes back as broken: the pool closes it instead of lending it again.
      if (isNodeFailure(error)) broken = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      use?.revoke();
      if (connection) {
        const done = connection;
        if (trailing) void trailing.then(() => this.putBack(name, done, broken));
        else this.putBack(name, done, broken);
      }
      leave();
    }
  }

  /**
   * A connection whose session is clean. The library's own releases keep
   * every pooled session idle; one that is not (someone else's use of the
   * node's pool) is discarded, and another one taken.
   */
  private async cleanConnection(name: string): Promise<PgConnection> {
    const pool = await this.registry.get(name);
    for (let tries = 0; ; tries++) {
      const connection = (await pool.connect()) as PgConnection;
      if (!this.listened.has(connection)) {
        // A connection that fails while checked out fails its query; the event itself is no news.
        connection.on('error', () => undefined);
        this.listened.add(connection);
      }
      const reason = uncleanState(connection);
      if (!reason) return connection;
      this.discard(name, connection, reason);
      // Every discarded one is closed: within poolSize + 1 tries the pool opens a new one.
      if (tries > this.options.poolSize) throw new Error(`no clean connection to ${name}`);
    }
  }

  /**
   * Returns the connection to the pool only if its session is idle with
   * nothing in flight; otherwise the pool closes it, which rolls back
   * whatever it held (docs/design.md, "A connection carries state").
   */
  private putBack(name: string, connection: PgConnection, broken: Error | undefined): void {
    if (broken) {
      this.proven.delete(connection);
      connection.release(broken);
      return;
    }
    const reason = uncleanState(connection);
    if (reason) this.discard(name, connection, reason);
    else connection.release();
  }

  private discard(name: string, connection: PgConnection, reason: string): void {
    this.proven.delete(connection);
    routingMetrics.connectionsDiscarded.inc({ node: name, reason });
    // Released with an error, a pg pool closes the connection instead of lending it again.
    connection.release(new Error(`connection not reused: ${reason.replace('_', ' ')}`));
  }

  /**
   * A primary's work never runs on a standby: a new connection first shows
   * that its node is not in recovery (a node bound as primary may have been
   * demoted and restarted as a standby since). A connection that showed it
   * once stays on a primary: a demotion restarts the server and ends it.
   */
  private async provePrimary(connection: PgConnection): Promise<void> {
    if (this.primaryConnections.has(connection)) return;
    if (await this.routed(PRIMARY_NODE, inRecovery(connection)))
      throw Object.assign(new Error('the node bound as primary is in recovery (a standby now)'), {
        code: '25006',
      });
    this.primaryConnections.add(connection);
  }
}

const COMMIT_UNKNOWN = Symbol('commitUnknown');

/** The error of a write whose outcome is unknown (the connection failed during or after COMMIT). */
export function markCommitUnknown<E>(error: E): E {
  if (typeof error === 'object' && error !== null)
    Object.defineProperty(error, COMMIT_UNKNOWN, { value: true });
  return error;
}

/** True when a write may have committed although it failed: never to be run again on its own. */
export function markedCommitUnknown(error: unknown): boolean {
  for (let e = error; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause)
    if ((e as Record<symbol, unknown>)[COMMIT_UNKNOWN]) return true;
  return false;
}
