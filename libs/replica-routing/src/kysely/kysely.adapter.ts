import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresDriver,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type KyselyPlugin,
  type PostgresPool,
} from 'kysely';
import type { PoolClient } from 'pg';
import type { BindContext, RoutingAdapter } from '../routing.adapter';

export interface KyselyAdapterOptions {
  /** Plugins for every bound instance (CamelCasePlugin...). */
  plugins?: KyselyPlugin[];
}

const SAVEPOINT = 'replica_routing_kysely';

/**
 * Kysely's node-postgres driver, lent the one connection the library chose
 * (a pool of it: `connect()` answers it, `release()` leaves it to the
 * library). Inside `write()` the library's transaction is open: a
 * `db.transaction()` there is a SAVEPOINT, so that a failure in it rolls
 * back only its part and the library commits the rest.
 */
class BoundDriver extends PostgresDriver {
  constructor(
    client: PoolClient,
    private readonly inTransaction: boolean,
  ) {
    super({ pool: onePool(client) });
  }

  override async beginTransaction(
    connection: DatabaseConnection,
    settings: Parameters<PostgresDriver['beginTransaction']>[1],
  ): Promise<void> {
    if (!this.inTransaction) return super.beginTransaction(connection, settings);
    if (settings.isolationLevel || settings.accessMode)
      throw new Error(
        'a transaction inside write() is a savepoint: it cannot set an isolation level or access mode',
      );
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${SAVEPOINT}`));
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    if (!this.inTransaction) return super.commitTransaction(connection);
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${SAVEPOINT}`));
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (!this.inTransaction)
      return super.rollbackTransaction(
        connection as Parameters<PostgresDriver['rollbackTransaction']>[0],
      );
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint ${SAVEPOINT}`));
  }
}

function onePool(client: PoolClient): PostgresPool {
  return {
    connect: () => Promise.resolve({ query: client.query.bind(client), release: () => undefined }),
    end: () => Promise.resolve(),
  } as unknown as PostgresPool;
}

/**
 * Works get a `Kysely<DB>` on the connection the library chose:
 * `router.read((db) => db.selectFrom('rides').selectAll().execute())`. A
 * new instance per work (a few microseconds), so none outlives its work.
 */
export function kyselyAdapter<DB>(options: KyselyAdapterOptions = {}): RoutingAdapter<Kysely<DB>> {
  return {
    bind(client: PoolClient, { transaction }: BindContext): Kysely<DB> {
      const dialect: Dialect = {
        createDriver: () => new BoundDriver(client, transaction),
        createQueryCompiler: () => new PostgresQueryCompiler(),
        createAdapter: () => new PostgresAdapter(),
        createIntrospector: (db) => new PostgresIntrospector(db),
      };
      return new Kysely<DB>({ dialect, plugins: options.plugins ?? [] });
    },
  };
}
