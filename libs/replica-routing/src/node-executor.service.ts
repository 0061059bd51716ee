import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager, QueryRunner } from 'typeorm';
import { explainReleasedRunner } from './db-errors.util';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type { Work } from './interfaces/routed.interface';
import { maxLsn, type Lsn } from './lsn.util';
import { NodeRegistry } from './node-registry.service';
import { checkedRead } from './postgres/checked-read';
import { connectionOf } from './postgres/pg-connection';
import { insertPosition, replayPosition } from './postgres/wal.queries';
import { PRIMARY_NODE, RESOLVED_OPTIONS } from './replica-routing.constants';
import { markRouted } from './query-counter.logger';

export interface Outcome<T> {
  result: T;
  /** A position covering what the work saw or wrote; null when not computed. */
  token: Lsn | null;
}

/** What a replica said: how far it had replayed, and the outcome if that was far enough. */
export interface ReplicaAnswer<T> {
  /**
   * Replayed position read on the connection that ran the work; null: not in
   * recovery; undefined: not asked (the connection had proven the token before).
   */
  replayed: Lsn | null | undefined;
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
@Injectable()
export class NodeExecutor {
  /** Per connection: the highest replay position it has shown (connections are pg clients). */
  private readonly proven = new WeakMap<object, Lsn>();

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedReplicaRoutingOptions,
    private readonly registry: NodeRegistry,
  ) {}

  /**
   * Runs a read on a replica only if the replica itself says, on the very
   * connection that runs the read, that it has replayed `token` (waiting up
   * to `waitMs`). The cached position is only a hint; this check is the proof.
   * A connection that has proven a position before needs no check for a token
   * at or below it when no cover is asked: a live connection's standby only
   * replays forward (a restart ends the connection; the pool opens a new one,
   * which proves itself again).
   */
  async readOnReplica<T>(
    name: string,
    token: Lsn | null,
    work: Work<T>,
    opts: { waitMs: number; cover: boolean },
  ): Promise<ReplicaAnswer<T>> {
    return this.onNode(name, 'slave', async (runner) => {
      const connection = connectionOf(runner);
      const proven = connection && this.proven.get(connection);
      if (!opts.cover && token !== null && proven !== undefined && token <= proven) {
        return { replayed: undefined, served: { result: await work(runner.manager, name), token } };
      }
      const answer = connection?.pipeline
        ? await checkedRead({
            connection,
            manager: runner.manager,
            token,
            work: (manager) => work(manager, name),
            cover: opts.cover,
            waitMs: opts.waitMs,
            pollMs: this.options.replicaWaitPollMs,
            count: this.registry.queryCount(name),
          })
        : await this.checkThenRead(runner, name, token, work, opts);
      if (connection && answer.served && answer.replayed)
        this.proven.set(connection, maxLsn(proven, answer.replayed)!);
      return answer;
    });
  }

  /** The same proof on a connection that does not pipeline: check (and wait), then read, then cover. */
  private async checkThenRead<T>(
    runner: QueryRunner,
    name: string,
    token: Lsn | null,
    work: Work<T>,
    opts: { waitMs: number; cover: boolean },
  ): Promise<ReplicaAnswer<T>> {
    const started = Date.now();
    let replayed = await replayPosition(runner);
    const mustWait = replayed !== null && token !== null && replayed < token && opts.waitMs > 0;
    while (replayed !== null && token !== null && replayed < token) {
      if (Date.now() >= started + opts.waitMs) break;
      await sleep(this.options.replicaWaitPollMs);
      replayed = await replayPosition(runner);
    }
    const waited = mustWait ? { waitedMs: Date.now() - started } : {};
    if (replayed === null || (token !== null && replayed < token)) return { replayed, ...waited };
    const result = await work(runner.manager, name);
    const seen = opts.cover ? await replayPosition(runner) : replayed;
    return { replayed, served: { result, token: seen }, ...waited };
  }

  async readOnPrimary<T>(work: Work<T>, cover: boolean): Promise<Outcome<T>> {
    return this.onNode(PRIMARY_NODE, 'master', async (runner) => {
      const result = await work(runner.manager, PRIMARY_NODE);
      return { result, token: cover ? await insertPosition(runner) : null };
    });
  }

  /**
   * Runs `work` on the primary, in a transaction unless told otherwise, and
   * reads the token after COMMIT on the same connection. A thrown error means
   * nothing was committed (or, if the connection died during COMMIT, the
   * outcome is unknown). `token` is null when the commit went through but the
   * position could not be read on that connection: ask {@link primaryPosition}.
   */
  async writeOnPrimary<T>(
    work: (manager: EntityManager) => Promise<T>,
    transaction: boolean,
  ): Promise<{ result: T; token: Lsn | null }> {
    return this.onNode(PRIMARY_NODE, 'master', async (runner) => {
      let result: T;
      if (transaction) await runner.startTransaction();
      try {
        result = await work(runner.manager);
        if (transaction) await runner.commitTransaction();
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
      return { result, token: await insertPosition(runner).catch(() => null) };
    });
  }

  /** The primary's current insert position, on a pooled connection. */
  async primaryPosition(): Promise<Lsn> {
    return this.onNode(PRIMARY_NODE, 'master', (runner) => insertPosition(runner));
  }

  private async onNode<T>(
    name: string,
    mode: 'master' | 'slave',
    fn: (runner: QueryRunner) => Promise<T>,
  ): Promise<T> {
    const leave = this.registry.admit(name);
    let runner: QueryRunner | undefined;
    try {
      runner = markRouted((await this.registry.get(name)).createQueryRunner(mode));
      await runner.connect();
      return await fn(runner);
    } catch (error) {
      throw explainReleasedRunner(error, runner);
    } finally {
      await runner?.release().catch(() => undefined);
      leave();
    }
  }
}
