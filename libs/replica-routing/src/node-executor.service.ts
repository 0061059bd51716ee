import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager, QueryRunner } from 'typeorm';
import { explainReleasedRunner } from './db-errors.util';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type { Work } from './interfaces/routed.interface';
import type { Lsn } from './lsn.util';
import { NodeRegistry } from './node-registry.service';
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
  /** Replayed position read on the connection that would run the work; null: not in recovery. */
  replayed: Lsn | null;
  /** Absent when the replica had not replayed the token (within the wait). */
  served?: Outcome<T>;
}

/**
 * Runs work on one node, with the checks that make the answer trustworthy,
 * and returns what it observed. It keeps no state and decides nothing about
 * routing: errors propagate (the router charges the node), positions go back
 * to the caller (the router records them).
 */
@Injectable()
export class NodeExecutor {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedReplicaRoutingOptions,
    private readonly registry: NodeRegistry,
  ) {}

  /**
   * Runs a read on a replica only if the replica itself says, on the very
   * connection that will run the read, that it has replayed `token` (waiting
   * up to `waitMs`). The cached position is only a hint; this check is the proof.
   */
  async readOnReplica<T>(
    name: string,
    token: Lsn | null,
    work: Work<T>,
    opts: { waitMs: number; cover: boolean },
  ): Promise<ReplicaAnswer<T>> {
    return this.onNode(name, 'slave', async (runner) => {
      const deadline = Date.now() + opts.waitMs;
      let replayed = await replayPosition(runner);
      while (replayed !== null && token !== null && replayed < token && Date.now() < deadline) {
        await sleep(this.options.replicaWaitPollMs);
        replayed = await replayPosition(runner);
      }
      // null: the node is not in recovery (promoted or misconfigured); never read from it.
      if (replayed === null || (token !== null && replayed < token)) return { replayed };
      const result = await work(runner.manager, name);
      const seen = opts.cover ? await replayPosition(runner) : replayed;
      return { replayed, served: { result, token: seen } };
    });
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
    let runner: QueryRunner | undefined;
    try {
      runner = markRouted((await this.registry.get(name)).createQueryRunner(mode));
      await runner.connect();
      return await fn(runner);
    } catch (error) {
      throw explainReleasedRunner(error, runner);
    } finally {
      await runner?.release().catch(() => undefined);
    }
  }
}
