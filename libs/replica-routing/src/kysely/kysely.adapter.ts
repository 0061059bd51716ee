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
import type { BindContext, RoutingAdapter, SavepointHooks } from '../routing.adapter';
import { SAVEPOINT_TAKES_NO_SETTINGS, savepointName } from '../savepoint.names';

export interface KyselyAdapterOptions {
  /** Plugins for every bound instance (CamelCasePlugin...). */
  plugins?: KyselyPlugin[];
}

/**
 * The savepoint each transaction inside `write()` opened, by the connection
 * Kysely runs it on, and how many named savepoints were open before it (its
 * end ends only those opened after).
 */
const savepoints = new WeakMap<DatabaseConnection, { name: string; after: number }>();

/**
 * Kysely's node-postgres driver, lent the one connection the library chose
 * (a pool of it: `connect()` answers it, `release()` leaves it to the
 * library). Inside `write()` the library's transaction is open: a
 * `db.transaction()` there is a SAVEPOINT, so that a failure in it rolls
 * back only its part and the library commits the rest.
 */
class BoundDriver extends PostgresDriver {
  constructor(
    private readonly client: PoolClient,
    private readonly inTransaction: boolean,
    private readonly hooks?: SavepointHooks,
  ) {
    super({ pool: onePool(client) });
  }

  /**
   * Without Kysely's in-flight abort strategies: a cancel or a kill would go
   * through another connection (there is none: the library lends one) and,
   * on a replica, turn the caller's abort into a failed read tried
   * elsewhere. Kysely then refuses them, naming 'ignore query' instead.
   */
  override async acquireConnection(
    options?: Parameters<PostgresDriver['acquireConnection']>[0],
  ): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection(options);
    for (const strategy of ['cancelQuery', 'killSession'])
      Object.defineProperty(connection, strategy, { value: undefined });
    return connection;
  }

  override async beginTransaction(
    connection: DatabaseConnection,
    settings: Parameters<PostgresDriver['beginTransaction']>[1],
  ): Promise<void> {
    if (!this.inTransaction) return super.beginTransaction(connection, settings);
    if (settings.isolationLevel || settings.accessMode)
      throw new Error(SAVEPOINT_TAKES_NO_SETTINGS);
    const savepoint = savepointName(this.client, 'replica_routing_kysely');
    savepoints.set(connection, { name: savepoint, after: this.named.length });
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${savepoint}`));
    this.hooks?.opened();
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    if (!this.inTransaction) return super.commitTransaction(connection);
    const { name, after } = savepointOf(connection);
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${name}`));
    this.unwind(after, 'released'); // its named savepoints are released with it
    this.hooks?.released();
  }

  // A controlled transaction's own savepoints (`trx.savepoint('a')`) are told too, by name.
  override async savepoint(...args: Parameters<PostgresDriver['savepoint']>): Promise<void> {
    await super.savepoint(...args);
    this.named.push(args[1]);
    this.hooks?.opened();
  }

  override async releaseSavepoint(
    ...args: Parameters<PostgresDriver['releaseSavepoint']>
  ): Promise<void> {
    await super.releaseSavepoint(...args);
    this.unwind(this.named.lastIndexOf(args[1]), 'released');
  }

  /** Those opened after it go; it stays open, emptied of what came after it. */
  override async rollbackToSavepoint(
    ...args: Parameters<PostgresDriver['rollbackToSavepoint']>
  ): Promise<void> {
    try {
      await super.rollbackToSavepoint(...args);
    } finally {
      const at = this.named.lastIndexOf(args[1]);
      if (at >= 0) {
        this.unwind(at, 'rolledBack');
        this.named.push(args[1]);
        this.hooks?.opened();
      }
    }
  }

  /** Named savepoints opened so far and not ended, oldest first. */
  private readonly named: string[] = [];

  /** Ends the named savepoints from index `from` on (none when it is negative), newest first. */
  private unwind(from: number, how: 'released' | 'rolledBack'): void {
    if (from < 0) return;
    while (this.named.length > from) {
      this.named.pop();
      this.hooks?.[how]();
    }
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (!this.inTransaction)
      return super.rollbackTransaction(
        connection as Parameters<PostgresDriver['rollbackTransaction']>[0],
      );
    const { name, after } = savepointOf(connection);
    try {
      await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint ${name}`));
    } finally {
      this.unwind(after, 'rolledBack');
      this.hooks?.rolledBack();
    }
  }
}

function savepointOf(connection: DatabaseConnection): { name: string; after: number } {
  const savepoint = savepoints.get(connection);
  if (!savepoint) throw new Error('no savepoint was opened on this connection');
  return savepoint;
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
    bind(client: PoolClient, { transaction, savepoints }: BindContext): Kysely<DB> {
      const dialect: Dialect = {
        createDriver: () => new BoundDriver(client, transaction, savepoints),
        createQueryCompiler: () => new PostgresQueryCompiler(),
        createAdapter: () => new PostgresAdapter(),
        createIntrospector: (db) => new PostgresIntrospector(db),
      };
      return new Kysely<DB>({ dialect, plugins: options.plugins ?? [] });
    },
  };
}
