import type { Pool, PoolClient, PoolConfig } from 'pg';
import {
  DataSource,
  type DataSourceOptions,
  type DeepPartial,
  type EntityManager,
  type EntityTarget,
  type ObjectLiteral,
  type Logger as TypeOrmLogger,
  type QueryRunner,
} from 'typeorm';
// Not in TypeORM's index, but reachable through its package exports ("./*").
import { PlainObjectToDatabaseEntityTransformer } from 'typeorm/query-builder/transformer/PlainObjectToDatabaseEntityTransformer';
import { routingLogger } from '../logger';
import type { BindContext, RoutingAdapter } from '../routing.adapter';
import { SAVEPOINT_TAKES_NO_SETTINGS } from '../savepoint.names';

type PostgresOptions = Extract<DataSourceOptions, { type: 'postgres' }>;

export interface TypeOrmAdapterOptions {
  /** Entities, registered on every node's DataSource. Default: none. */
  entities?: PostgresOptions['entities'];
  /** More TypeORM `postgres` options for every node (naming strategy, subscribers...). */
  dataSource?: Partial<Omit<PostgresOptions, 'type' | 'entities' | 'url' | 'extra'>>;
}

/** Why a work may not end the top-level transaction of a write itself. */
const TOP = "the write's transaction is the library's: it commits or rolls back on return";

/** The protected parts of TypeORM's PostgresQueryRunner this adapter sets. */
interface BindableRunner {
  databaseConnection: PoolClient;
  isTransactionActive: boolean;
  transactionDepth: number;
}

/**
 * Works get a TypeORM `EntityManager` (docs/api.md, "Adapters"). One
 * DataSource per node, as before: its pool is the node's pool, built with
 * the library's settings. A work's manager runs on a query runner bound to
 * the connection the library chose; inside `write()`, that runner knows the
 * library's transaction is open, so `manager.transaction()` nests as a
 * SAVEPOINT instead of committing it.
 */
export function typeormAdapter(options: TypeOrmAdapterOptions = {}): RoutingAdapter<EntityManager> {
  // TypeORM would apply it to transactions it opens, never to the library's: refused, not dropped.
  if (options.dataSource?.isolationLevel !== undefined)
    throw new Error(
      "typeormAdapter: dataSource.isolationLevel is not supported: a write's transaction is " +
        "the library's, opened at the server's default; set default_transaction_isolation on " +
        'the role or the database instead',
    );
  /** Per node, the DataSources of its open pools, newest last; and each by its pool. */
  const sources = new Map<string, DataSource[]>();
  const byPool = new Map<Pool, DataSource>();
  return {
    async openPool(node: string, config: PoolConfig): Promise<Pool> {
      const dataSource = new DataSource({
        ...options.dataSource,
        type: 'postgres',
        entities: options.entities ?? [],
        synchronize: false,
        migrationsRun: false,
        logger: new WarningsLogger(node),
        // The driver's own settings first, then these: the library's win.
        extra: config,
      });
      try {
        await dataSource.initialize();
      } catch (error) {
        await dataSource.driver.disconnect().catch(() => undefined);
        throw error;
      }
      const pool = (dataSource.driver as unknown as { master: Pool }).master;
      sources.set(node, [...(sources.get(node) ?? []), dataSource]);
      byPool.set(pool, dataSource);
      return pool;
    },
    // The pool given, not the node's newest: a late pool of a host the role has left is closed
    // while the pool of its new host stays.
    async closePool(node: string, pool: Pool): Promise<void> {
      const dataSource = byPool.get(pool);
      byPool.delete(pool);
      const left = (sources.get(node) ?? []).filter((s) => s !== dataSource);
      if (left.length > 0) sources.set(node, left);
      else sources.delete(node);
      await dataSource?.destroy();
    },
    bind(client: PoolClient, { node, transaction, savepoints }: BindContext): EntityManager {
      // Any open DataSource of the node: the connection is the library's, TypeORM's metadata the same.
      const dataSource = sources.get(node)?.at(-1);
      if (!dataSource) throw new Error(`typeormAdapter: no DataSource for ${node}`);
      const runner: QueryRunner = dataSource.createQueryRunner('master');
      const bindable = runner as unknown as BindableRunner;
      // connect() returns this connection: no other is checked out, none released by TypeORM.
      bindable.databaseConnection = client;
      if (transaction) {
        bindable.isTransactionActive = true;
        bindable.transactionDepth = 1;
        // Nested in the library's transaction, TypeORM sends a SAVEPOINT, which takes no level.
        const manager = runner.manager;
        const nest = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
        manager.transaction = (...args: unknown[]) =>
          typeof args[0] === 'string'
            ? Promise.reject(new Error(SAVEPOINT_TAKES_NO_SETTINGS))
            : nest(...args);
        // Each savepoint is told to the library (callbacks registered in it), as it opens and ends.
        const start = runner.startTransaction.bind(runner);
        runner.startTransaction = (level) =>
          level === undefined
            ? start().then(() => savepoints?.opened())
            : Promise.reject(new Error(SAVEPOINT_TAKES_NO_SETTINGS));
        // The top level is the library's: TypeORM ends it only when a SAVEPOINT failed (a bare
        // ROLLBACK under the write) or when asked to outright.
        const commit = runner.commitTransaction.bind(runner);
        const rollback = runner.rollbackTransaction.bind(runner);
        runner.commitTransaction = () =>
          bindable.transactionDepth > 1
            ? commit().then(() => savepoints?.released())
            : Promise.reject(new Error(TOP));
        runner.rollbackTransaction = () =>
          bindable.transactionDepth > 1
            ? rollback().finally(() => savepoints?.rolledBack())
            : Promise.reject(new Error(TOP));
      }
      boundPreload(runner.manager);
      return runner.manager;
    },
  };
}

/**
 * `preload()` as TypeORM writes it, loading through `manager`: TypeORM's own
 * loads through the DataSource's manager, on a connection of its own taken
 * from the node's pool, outside the work's connection and its transaction
 * (it would not see the write's rows, and waits for a second connection).
 */
function boundPreload(manager: EntityManager): void {
  manager.preload = (async (
    target: EntityTarget<ObjectLiteral>,
    entityLike: DeepPartial<object>,
  ) => {
    const metadata = manager.dataSource.getMetadata(target);
    const found = await new PlainObjectToDatabaseEntityTransformer(manager).transform(
      entityLike,
      metadata,
    );
    return found ? manager.merge(target, found, entityLike) : undefined;
  }) as EntityManager['preload'];
}

/** TypeORM's logger for a node: its warnings and migration messages; never query text. */
class WarningsLogger implements TypeOrmLogger {
  private readonly logger;

  constructor(node: string) {
    this.logger = routingLogger(`TypeORM:${node}`);
  }

  logQuery(): void {}
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
  }
}
