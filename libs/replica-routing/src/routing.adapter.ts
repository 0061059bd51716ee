import type { Pool, PoolClient, PoolConfig } from 'pg';

/** Where a handle is bound: the node, and whether the library opened a transaction on it. */
export interface BindContext {
  /** `primary` or a replica's name. */
  node: string;
  /**
   * True inside `write()`: the library sent BEGIN and will COMMIT. An ORM's
   * own `transaction()` must then nest (a savepoint), not BEGIN again.
   */
  transaction: boolean;
  /**
   * Inside `write()`: an adapter tells it when a savepoint it sent opens,
   * is released, or is rolled back, so that `afterCommit` callbacks
   * registered in a savepoint rolled back never run.
   */
  savepoints?: SavepointHooks;
}

/** What an adapter reports of the savepoints it sends inside `write()` (they stack). */
export interface SavepointHooks {
  /** After its SAVEPOINT succeeded. */
  opened(): void;
  /** After its RELEASE SAVEPOINT succeeded. */
  released(): void;
  /** Once it is rolled back (ROLLBACK TO SAVEPOINT sent), or given up for any failure. */
  rolledBack(): void;
}

/**
 * What an ORM (or plain node-postgres) needs to run on the routing core: how
 * to turn one connection the library checked out, and for a replica read
 * proved, into the handle a work receives. Every adapter runs its queries
 * on that very connection and nowhere else.
 */
export interface RoutingAdapter<H> {
  /** The handle for one work, over `client` (valid only while the work runs). */
  bind(client: PoolClient, context: BindContext): H;
  /** Opens a node's pool with the settings the library resolved. Default: `new pg.Pool(config)`. */
  openPool?(node: string, config: PoolConfig): Promise<Pool>;
  /** Closes a pool {@link openPool} opened. Default: `pool.end()`. */
  closePool?(node: string, pool: Pool): Promise<void>;
}
