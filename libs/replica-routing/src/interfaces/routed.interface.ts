import type { Lsn } from '../lsn.util';
import type { Position } from '../position';

/** A token as a caller may hold it: with its timeline, a bare position, or the text form. */
export type TokenInput = Position | Lsn | string | null;

/** What a routed call returns: the work's result, where it ran, and a token covering it. */
export interface Routed<T> {
  result: T;
  /** `primary` or a replica's name. */
  servedBy: string;
  /**
   * For a write: a WAL position taken after COMMIT that covers its commit record.
   * For a read: a position at or after everything the read could see (monotonic
   * reads for a caller that sends it back); with `cover: false`, a position the
   * read is known to have reached: the one it was asked to see or, where the
   * replica was checked in-band, the replica's position at the check.
   */
  token: Lsn | null;
  /** `token` with the timeline it was taken on: what to pass on, or to format for a client. */
  position: Position | null;
}

/**
 * What a caller runs on a node: `handle` is the adapter's (an EntityManager,
 * a Kysely or Drizzle instance, a pg client) bound to the one connection the
 * library chose, valid only while the work runs.
 */
export type Work<T, H = unknown> = (handle: H, node: string) => Promise<T>;

export interface ReadOptions {
  /** The position the read must see, on top of the current scope's. Text form accepted. */
  token?: TokenInput;
  /** Run on the primary whatever the token. Default: `false`. */
  primary?: boolean;
  /** Compute the covering token (one extra tiny query on the serving node). Default: `true`. */
  cover?: boolean;
  /** Overrides the module's `replicaWaitMs` for this read. */
  waitMs?: number;
  /**
   * Bounds staleness: the read sees every commit that finished more than this
   * many ms ago, from any client. It must then see the primary's position as
   * read at most this long ago (the observer's samples, this process's writes
   * and primary reads); with no such sample it goes to the primary first, and
   * only if the primary cannot answer (no newer commit can then exist) to a
   * replica that has its last known position. For checks like authentication,
   * where a revoked key must stop working within a bound. Default: none.
   */
  freshWithinMs?: number;
}

export interface WriteOptions {
  /** Run the work in a transaction (BEGIN/COMMIT). Default: `true`. */
  transaction?: boolean;
  /**
   * Read the token after COMMIT. Default: `true`. `false` saves that round
   * trip for a write nothing reads back (a counter, a consumer's position):
   * its `token` is null and it does not raise the scope, so a later read of
   * the scope may not see it.
   */
  token?: boolean;
}

export interface ScopeOptions {
  token?: TokenInput;
  primary?: boolean;
}

export interface ScopeResult<T> {
  result: T;
  /** The scope's token when it ended, without its timeline (see `position`). */
  token: Lsn | null;
  /**
   * `token` with its timeline: the clock to pass to later scopes
   * (master_slave_adapter's `with_consistency`). A bare `token` cannot be
   * checked against a failover: a write the failover lost would go unnoticed.
   */
  position: Position | null;
}
