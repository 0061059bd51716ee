import { parseDbLsn, type Lsn } from '../lsn.util';

/**
 * Every question the library asks Postgres about WAL positions and recovery,
 * in one place. `Queryable` is a TypeORM QueryRunner (one connection) or a
 * DataSource (a pooled connection per query).
 */
export interface Queryable {
  query(sql: string): Promise<unknown>;
}

async function oneLsn(on: Queryable, sql: string): Promise<Lsn | null> {
  const [row] = (await on.query(sql)) as { lsn: string | null }[];
  return parseDbLsn(row?.lsn ?? null);
}

/**
 * How far a standby has replayed; null when the node is not in recovery: a
 * primary, or a promoted replica, whose `pg_last_wal_replay_lsn()` stays at the
 * last replayed record. Both asked in one statement, so that the answer is
 * the proof (docs/design.md, "The in-band check is the proof").
 */
export const REPLAY_POSITION_SQL =
  'SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() END)::text AS lsn';

export function replayPosition(on: Queryable): Promise<Lsn | null> {
  return oneLsn(on, REPLAY_POSITION_SQL);
}

/** The position in a result of {@link REPLAY_POSITION_SQL} sent on a raw connection. */
export function lsnOfRows(rows: readonly Record<string, unknown>[]): Lsn | null {
  return parseDbLsn(rows[0]?.lsn ?? null);
}

/**
 * Opens the transaction a covered replica read runs in. Its snapshot is taken
 * by the first query in it; a {@link REPLAY_POSITION_SQL} sent first is then
 * at or after every commit the transaction's reads can see (an upper bound:
 * the proof that a commit is visible is a position read before the snapshot).
 */
export const SNAPSHOT_BEGIN_SQL = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

/**
 * The primary's insert position: at or after the end of every commit record
 * written so far, so it covers a commit made before it on any connection
 * (docs/design.md, "The token is taken after the commit"). `pg_current_wal_lsn()`
 * could be behind with `synchronous_commit = off`.
 */
export async function insertPosition(on: Queryable): Promise<Lsn> {
  const lsn = await oneLsn(on, 'SELECT pg_current_wal_insert_lsn()::text AS lsn');
  if (lsn === null) throw new Error('pg_current_wal_insert_lsn() returned NULL');
  return lsn;
}

/**
 * What the observer asks every node: its role, its replayed (standby) or
 * insert (primary) position, and for a standby how many seconds behind it is:
 * 0 when it has replayed all it received, else the age of the last
 * transaction it replayed (the usual measure; it overstates while the
 * primary is idle and the replica still behind).
 */
export async function nodePosition(
  on: Queryable,
): Promise<{ standby: boolean; lsn: Lsn | null; lagSeconds: number | null }> {
  const [row] = (await on.query(
    `SELECT pg_is_in_recovery() AS standby,
            (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
                  ELSE pg_current_wal_insert_lsn() END)::text AS lsn,
            (CASE WHEN NOT pg_is_in_recovery() THEN NULL
                  WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                  ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END)::float8 AS lag_seconds`,
  )) as { standby: boolean; lsn: string | null; lag_seconds: number | null }[];
  return {
    standby: row!.standby,
    lsn: parseDbLsn(row!.lsn),
    lagSeconds: row!.lag_seconds === null ? null : Math.max(0, Number(row!.lag_seconds)),
  };
}
