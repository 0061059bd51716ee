import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { explainReleasedRunner, isNodeFailure } from './db-errors.util';
import { PrimaryUnavailableError } from './exceptions/primary-unavailable.exception';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type { Work } from './interfaces/routed.interface';
import { parseDbLsn, type Lsn } from './lsn.util';
import { NodeHealth } from './node-health.service';
import { NodeRegistry } from './node-registry.service';
import { PRIMARY_NODE, RESOLVED_OPTIONS } from './replica-routing.constants';
import { ReplicaStatusCache } from './replica-status-cache.service';
import type { Callback, RoutingScope } from './routing-context.service';

export interface Outcome<T> {
  result: T;
  token: Lsn | null;
}

/** Runs work on one node, with the checks that make the answer trustworthy. */
@Injectable()
export class NodeExecutor {
  private readonly logger = new Logger(NodeExecutor.name);

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedReplicaRoutingOptions,
    private readonly registry: NodeRegistry,
    private readonly cache: ReplicaStatusCache,
    private readonly health: NodeHealth,
  ) {}

  /**
   * Runs a read on a replica only if the replica itself says, on the very
   * connection that will run the read, that it has replayed `token` (waiting
   * up to `waitMs`). Returns `undefined` when it has not: the caller goes on to
   * another node. The cache is only a hint; this check is the proof.
   */
  async readOnReplica<T>(
    name: string,
    token: Lsn | null,
    work: Work<T>,
    opts: { waitMs: number; cover: boolean },
  ): Promise<Outcome<T> | undefined> {
    return this.onNode(name, 'slave', async (runner) => {
      const deadline = Date.now() + opts.waitMs;
      let lsn = await replayLsn(runner);
      while (lsn !== null && token !== null && lsn < token && Date.now() < deadline) {
        await sleep(this.options.replicaWaitPollMs);
        lsn = await replayLsn(runner);
      }
      this.cache.observeReplica(name, lsn);
      // null: the node is not in recovery (promoted or misconfigured); never read from it.
      if (lsn === null || (token !== null && lsn < token)) return undefined;
      const result = await work(runner.manager, name);
      const seen = opts.cover ? await replayLsn(runner) : lsn;
      return { result, token: seen };
    });
  }

  async readOnPrimary<T>(work: Work<T>, cover: boolean): Promise<Outcome<T>> {
    return this.onNode(PRIMARY_NODE, 'master', async (runner) => {
      const result = await work(runner.manager, PRIMARY_NODE);
      return { result, token: cover ? await this.insertLsn(runner) : null };
    });
  }

  /**
   * Runs a write on the primary, in a transaction unless told otherwise, and
   * takes its token after COMMIT on the same connection (CONSISTENCY.md §1).
   */
  async writeOnPrimary<T>(
    scope: RoutingScope,
    work: Work<T>,
    transaction: boolean,
  ): Promise<Outcome<T>> {
    return this.onNode(PRIMARY_NODE, 'master', async (runner) => {
      const callbacks = { afterCommit: [] as Callback[], afterRollback: [] as Callback[] };
      let result: T;
      if (transaction) {
        await runner.startTransaction();
        scope.transaction = { manager: runner.manager, ...callbacks };
      }
      try {
        result = await work(runner.manager, PRIMARY_NODE);
        if (transaction) await runner.commitTransaction();
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        scope.transaction = undefined;
        await this.runCallbacks('afterRollback', callbacks.afterRollback);
        throw error;
      }
      scope.transaction = undefined;
      const token = await this.insertLsn(runner).catch(() => this.insertLsnOnNewConnection());
      await this.runCallbacks('afterCommit', callbacks.afterCommit);
      return { result, token };
    });
  }

  private async onNode<T>(
    name: string,
    mode: 'master' | 'slave',
    fn: (runner: QueryRunner) => Promise<T>,
  ): Promise<T> {
    const primary = name === PRIMARY_NODE;
    if (primary && !this.health.isAvailable(name)) {
      throw new PrimaryUnavailableError(this.health.retryInMs(name));
    }
    let runner: QueryRunner | undefined;
    try {
      runner = (await this.registry.get(name)).createQueryRunner(mode);
      await runner.connect();
      const value = await fn(runner);
      this.health.recordSuccess(name);
      return value;
    } catch (caught) {
      const error = explainReleasedRunner(caught, runner);
      if (!isNodeFailure(error)) throw error;
      this.health.recordFailure(name, error);
      if (!primary) this.cache.markUnreachable(name);
      throw primary ? new PrimaryUnavailableError(this.health.retryInMs(name), error) : error;
    } finally {
      await runner?.release().catch(() => undefined);
    }
  }

  /** The primary's insert position: at or after the end of every commit record written so far. */
  private async insertLsn(on: Queryable): Promise<Lsn> {
    const lsn = (await queryLsn(on, 'pg_current_wal_insert_lsn'))!;
    this.cache.observePrimary(lsn);
    return lsn;
  }

  /** Any later position covers the commit too: used when the connection died right after COMMIT. */
  private async insertLsnOnNewConnection(): Promise<Lsn> {
    try {
      return await this.insertLsn(await this.registry.get(PRIMARY_NODE));
    } catch (error) {
      throw new PrimaryUnavailableError(
        this.options.primaryCooldownMs,
        error,
        'the write was committed but the primary went away before its consistency token could be read',
      );
    }
  }

  private async runCallbacks(kind: string, callbacks: Callback[]): Promise<void> {
    for (const callback of callbacks) {
      try {
        await callback();
      } catch (error) {
        this.logger.error(
          `${kind} callback failed: ${error instanceof Error ? error.stack : String(error)}`,
        );
      }
    }
  }
}

/** A query runner, or a DataSource (which takes a pooled connection per query). */
interface Queryable {
  query(sql: string): Promise<unknown>;
}

/** One WAL position from a server function; null where the function returns NULL (not a standby). */
async function queryLsn(
  on: Queryable,
  fn: 'pg_current_wal_insert_lsn' | 'pg_last_wal_replay_lsn',
): Promise<Lsn | null> {
  const [row] = (await on.query(`SELECT ${fn}()::text AS lsn`)) as { lsn: string | null }[];
  return parseDbLsn(row!.lsn);
}

function replayLsn(runner: QueryRunner): Promise<Lsn | null> {
  return queryLsn(runner, 'pg_last_wal_replay_lsn');
}
