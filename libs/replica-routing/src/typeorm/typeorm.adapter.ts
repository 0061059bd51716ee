import type { Pool, PoolClient, PoolConfig } from 'pg';
import {
  DataSource,
  type DataSourceOptions,
  type EntityManager,
  type Logger as TypeOrmLogger,
  type QueryRunner,
} from 'typeorm';
import { routingLogger } from '../logger';
import type { BindContext, RoutingAdapter } from '../routing.adapter';

type PostgresOptions = Extract<DataSourceOptions, { type: 'postgres' }>;

export interface TypeOrmAdapterOptions {
  /** Entities, registered on every node's DataSource. Default: none. */
  entities?: PostgresOptions['entities'];
  /** More TypeORM `postgres` options for every node (naming strategy, subscribers...). */
  dataSource?: Partial<Omit<PostgresOptions, 'type' | 'entities' | 'url' | 'extra'>>;
}

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
  const sources = new Map<string, DataSource>();
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
      sources.set(node, dataSource);
      return (dataSource.driver as unknown as { master: Pool }).master;
    },
    async closePool(node: string): Promise<void> {
      const dataSource = sources.get(node);
      sources.delete(node);
      await dataSource?.destroy();
    },
    bind(client: PoolClient, { node, transaction }: BindContext): EntityManager {
      const dataSource = sources.get(node);
      if (!dataSource) throw new Error(`typeormAdapter: no DataSource for ${node}`);
      const runner: QueryRunner = dataSource.createQueryRunner('master');
      const bindable = runner as unknown as BindableRunner;
      // connect() returns this connection: no other is checked out, none released by TypeORM.
      bindable.databaseConnection = client;
      if (transaction) {
        bindable.isTransactionActive = true;
        bindable.transactionDepth = 1;
      }
      return runner.manager;
    },
  };
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
