import type { ClientView } from '../connection.lender';
import type { Lsn } from '../lsn.util';
import type { PgConnection } from '../postgres/pg-connection';
import type { Replay } from '../postgres/wal.queries';
import type { Position } from '../position';

/** Where a primary read reads the primary's position: after the work (its cover), before it, or not. */
export type PositionRead = 'after' | 'before' | 'none';

/** What the executor hands back of one node's answer. */
export interface Outcome<T> {
  result: T;
  /** A position covering what the work saw or wrote; null when not computed. */
  token: Position | null;
}

/** What a replica said: how far it had replayed, and the outcome if that was far enough. */
export interface ReplicaAnswer<T> {
  /**
   * What the connection that ran the work said of its replay (lsn null: not
   * in recovery); undefined: not asked (the connection had proven the token before).
   */
  replayed: Replay | undefined;
  /** Absent when the replica had not replayed the token (within the wait). */
  served?: Outcome<T>;
  /** How long the read waited for the replica to replay the token, when it did. */
  waitedMs?: number;
}

/** One replica read: where it runs and what it must see. */
export interface ReplicaTry<T> {
  name: string;
  connection: PgConnection;
  use: ClientView;
  hold: (trailing: Promise<unknown>) => void;
  token: Lsn | null;
  tli: number | null;
  run: () => Promise<T>;
  opts: { waitMs: number; cover: boolean };
}
