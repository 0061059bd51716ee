import type { PoolClient, QueryResult, QueryResultRow } from 'pg';
import { TransactionAbortedError } from '../exceptions/transaction-aborted.exception';
import type { RoutingAdapter, SavepointHooks } from '../routing.adapter';
import { savepointName } from '../savepoint.names';

/** What a work gets with {@link pgAdapter}: node-postgres on the connection the library chose. */
export interface PgHandle {
  /** `client.query(text, values)` on that connection. */
  query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<QueryResult<R>>;
  /**
   * Runs `fn` in a transaction: BEGIN/COMMIT on its own, a SAVEPOINT inside
   * `write()` or another `transaction()` (its failure rolls back only its part).
   */
  transaction<T>(fn: (handle: PgHandle) => Promise<T>): Promise<T>;
  /** The connection itself (valid only while the work runs), for what `query` does not cover. */
  readonly client: PoolClient;
}

/**
 * Works get a {@link PgHandle}: plain node-postgres, no ORM.
 * `router.read((db) => db.query('SELECT ...'))`.
 */
export function pgAdapter(): RoutingAdapter<PgHandle> {
  return {
    bind: (client, context) => handle(client, context.transaction ? 1 : 0, context.savepoints),
  };
}

function handle(client: PoolClient, depth: number, hooks?: SavepointHooks): PgHandle {
  return {
    client,
    query: (text, values) => client.query(text, values),
    async transaction(fn) {
      const savepoint = depth === 0 ? '' : savepointName(client);
      await client.query(depth === 0 ? 'BEGIN' : `SAVEPOINT ${savepoint}`);
      // Inside write(): the library hears of the savepoint (callbacks registered in it).
      const told = depth === 0 ? undefined : hooks;
      told?.opened();
      let ended: { command?: string | null };
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        result = await fn(handle(client, depth + 1, hooks));
        ended = await client.query(depth === 0 ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`);
      } catch (error) {
        await client
          .query(depth === 0 ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${savepoint}`)
          .catch(() => undefined);
        told?.rolledBack();
        throw error;
      }
      told?.released();
      // A statement failed and `fn` went on: Postgres answers COMMIT with ROLLBACK, no error.
      if (ended.command === 'ROLLBACK') throw new TransactionAbortedError();
      return result;
    },
  };
}
