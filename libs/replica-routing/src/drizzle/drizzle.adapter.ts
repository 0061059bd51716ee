import {
  sql,
  createTableRelationsHelpers,
  extractTablesRelationalConfig,
  type ExtractTablesWithRelations,
  type RelationalSchemaConfig,
  type TablesRelationalConfig,
} from 'drizzle-orm';
import {
  NodePgDatabase,
  NodePgSession,
  NodePgTransaction,
  type NodePgQueryResultHKT,
} from 'drizzle-orm/node-postgres';
import { PgDialect, type PgDatabase, type PgTransactionConfig } from 'drizzle-orm/pg-core';
import type { PoolClient } from 'pg';
import type { BindContext, RoutingAdapter, SavepointHooks } from '../routing.adapter';
import { SAVEPOINT_TAKES_NO_SETTINGS, savepointName } from '../savepoint.names';

/** What a work gets: Drizzle's node-postgres database (a transaction of it inside `write()`). */
export type DrizzleHandle<TSchema extends Record<string, unknown>> = PgDatabase<
  NodePgQueryResultHKT,
  TSchema,
  ExtractTablesWithRelations<TSchema>
>;

export interface DrizzleAdapterOptions<TSchema extends Record<string, unknown>> {
  /** Tables and relations, for `db.query.<table>` (relational queries). Default: none. */
  schema?: TSchema;
}

/**
 * Works get Drizzle (`drizzle-orm/node-postgres`) on the connection the
 * library chose: `router.read((db) => db.select().from(rides))`. The schema's
 * relational config is built once; a handle per work costs microseconds.
 * Inside `write()` the handle is Drizzle's transaction object on the
 * library's transaction, so `db.transaction()` there nests as a SAVEPOINT.
 */
export function drizzleAdapter<TSchema extends Record<string, unknown> = Record<string, never>>(
  options: DrizzleAdapterOptions<TSchema> = {},
): RoutingAdapter<DrizzleHandle<TSchema>> {
  const dialect = new PgDialect();
  const relational = relationalConfig(options.schema);
  return {
    bind(client: PoolClient, { transaction, savepoints }: BindContext): DrizzleHandle<TSchema> {
      const session = new NodePgSession<Record<string, unknown>, TablesRelationalConfig>(
        client,
        dialect,
        relational,
        {},
      );
      return (transaction
        ? new RoutedTransaction(dialect, session, relational ?? EMPTY_SCHEMA, 0, savepoints)
        : new NodePgDatabase<Record<string, unknown>>(
            dialect,
            session,
            relational,
          )) as unknown as DrizzleHandle<TSchema>;
    },
  };
}

const EMPTY_SCHEMA = { fullSchema: {}, schema: {}, tableNamesMap: {} };

/**
 * Drizzle's transaction inside `write()`, whose nested `transaction()`s are
 * savepoints named once per connection (`savepointName`), where Drizzle names
 * them by depth (`sp1`): a write nested in a write gets this same handle, and
 * its savepoint must not take the name of the transaction it runs in.
 */
class RoutedTransaction extends NodePgTransaction<Record<string, unknown>, TablesRelationalConfig> {
  constructor(
    private readonly pgDialect: PgDialect,
    session: NodePgSession<Record<string, unknown>, TablesRelationalConfig>,
    schema: ConstructorParameters<typeof NodePgTransaction>[2],
    nestedIndex: number,
    private readonly hooks?: SavepointHooks,
  ) {
    super(pgDialect, session, schema, nestedIndex);
  }

  /** Typed as `PgDatabase`, the handle is also called with a config: refused, not ignored. */
  override async transaction<T>(
    fn: (tx: RoutedTransaction) => Promise<T>,
    config?: PgTransactionConfig,
  ): Promise<T> {
    if (config && Object.values(config).some((v) => v !== undefined))
      throw new Error(SAVEPOINT_TAKES_NO_SETTINGS);
    const session = this._.session as NodePgSession<
      Record<string, unknown>,
      TablesRelationalConfig
    >;
    const name = savepointName(session);
    const depth = this.nestedIndex + 1;
    const tx = new RoutedTransaction(this.pgDialect, session, this.schema, depth, this.hooks);
    await tx.execute(sql.raw(`savepoint ${name}`));
    this.hooks?.opened();
    try {
      const result = await fn(tx);
      await tx.execute(sql.raw(`release savepoint ${name}`));
      this.hooks?.released();
      return result;
    } catch (error) {
      try {
        await tx.execute(sql.raw(`rollback to savepoint ${name}`));
      } finally {
        this.hooks?.rolledBack();
      }
      throw error;
    }
  }
}

function relationalConfig(
  schema: Record<string, unknown> | undefined,
): RelationalSchemaConfig<TablesRelationalConfig> | undefined {
  if (!schema) return undefined;
  const config = extractTablesRelationalConfig(schema, createTableRelationsHelpers);
  return { fullSchema: schema, schema: config.tables, tableNamesMap: config.tableNamesMap };
}
