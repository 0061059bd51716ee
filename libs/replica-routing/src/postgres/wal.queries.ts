import { parseDbLsn, parseLsn, type Lsn } from '../lsn.util';

/**
 * Every question the library asks Postgres about WAL positions and recovery,
 * in one place, but a write's token (commit-token.ts). `Queryable` is a
 * node-postgres client (one connection) or pool (a pooled connection per
 * query).
 */
export interface Queryable {
  query(sql: string): Promise<{ rows: unknown[] }>;
}

/** The rows of a result, typed as the caller's query shapes them. */
export async function rowsOf<R>(on: Queryable, sql: string): Promise<R[]> {
  return (await on.query(sql)).rows as R[];
}

/** What a standby says of itself in the in-band check. */
export interface Replay {
  /** Replayed position; null when the node is not in recovery. */
  lsn: Lsn | null;
  /**
   * The timeline its WAL receiver streams from the primary; null when it
   * streams nothing (receiver down, WAL from an archive, or a role without
   * `pg_read_all_stats`, which sees no receiver details). See
   * {@link StreamedTimelines} for what a standby that streams nothing is on.
   */
  tli: number | null;
  /** When its postmaster started: a standby that did not restart kept the history it replayed. */
  started?: string | null;
  /** The server session (backend) that answered: one client connection, one session, unless a pooler is in between. */
  pid?: number | null;
}

/**
 * `pg_stat_wal_receiver.received_tli` while it streams, else NULL, from the
 * view's function called once (OFFSET 0: not once per field): 3.4 µs of the
 * replica's CPU for the statement, not 4.5 µs (PostgreSQL 15, on a standby).
 */
const RECEIVED_TLI =
  "(SELECT CASE WHEN (r).status = 'streaming' THEN (r).received_tli END " +
  'FROM (SELECT pg_stat_get_wal_receiver() AS r OFFSET 0) AS receiver)';

/**
 * How far a standby has replayed, and on which timeline it streams; lsn null
 * when the node is not in recovery: a primary, or a promoted replica, whose
 * `pg_last_wal_replay_lsn()` stays at the last replayed record. Asked in one
 * statement, so that the answer is the proof (docs/design.md, "The in-band
 * check is the proof"). A standby that streams the current timeline from the
 * current primary holds that timeline's history up to what it replayed; one
 * left behind by a failover (it cannot follow the new timeline) streams nothing.
 */
export const REPLAY_POSITION_SQL =
  "SELECT format('%s|%s|%s|%s', " +
  'CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() END, ' +
  RECEIVED_TLI +
  ', pg_postmaster_start_time(), pg_backend_pid()) AS replay';

/**
 * {@link REPLAY_POSITION_SQL} as a named statement, for the cover a proven
 * connection sends behind a read's first statement on every read: parsed and
 * planned once per connection instead of on every read (planning the
 * `pg_stat_wal_receiver` view is most of the statement's cost to the server).
 * Only where one client connection is one server session (proofs on): a
 * server session that does not know it answers 26000, and the caller then
 * asks {@link replayPosition} instead (see postgres/covered-query.ts).
 */
export const REPLAY_POSITION_STATEMENT = {
  name: 'replica_routing_replay',
  text: REPLAY_POSITION_SQL,
  column: 'replay',
} as const;

export async function replayPosition(on: Queryable): Promise<Replay> {
  return replayOfRows(await rowsOf<Record<string, unknown>>(on, REPLAY_POSITION_SQL));
}

/**
 * The answer in a result of {@link REPLAY_POSITION_SQL}: one text column,
 * `lsn|tli|started|pid` with NULL as empty (`format` renders it so), because
 * it is read on every covered read and one column costs node-postgres less to
 * describe and parse than four.
 */
export function replayOfRows(rows: readonly Record<string, unknown>[]): Replay {
  const packed = rows[0]?.replay;
  const [lsn, tli, started, pid] = typeof packed === 'string' ? packed.split('|') : [];
  return {
    lsn: lsn ? parseLsn(lsn) : null,
    tli: tli ? Number(tli) : null,
    started: started || null,
    pid: pid ? Number(pid) : null,
  };
}

/**
 * Whether two answers on one client connection came from one server session:
 * the same backend of the same postmaster. A direct connection cannot
 * outlive its session; one through a transaction-mode pooler can.
 */
export function sameSession(a: Replay, b: Replay): boolean {
  if (a.started !== b.started) return false;
  return a.pid === null || a.pid === undefined || b.pid === null || b.pid === undefined
    ? true
    : a.pid === b.pid;
}

/**
 * Whether a standby's answer proves it holds `lsn` of timeline `tli` (null:
 * any timeline, when none is known yet).
 */
export function replayCovers(replay: Replay, lsn: Lsn | null, tli: number | null): boolean {
  if (replay.lsn === null || !onTimeline(replay, tli)) return false;
  return lsn === null || replay.lsn >= lsn;
}

/**
 * Whether a standby on timeline `tli` is behind `lsn`: the one state in which
 * waiting for it to replay can make it serve.
 */
export function replayBehind(replay: Replay, lsn: Lsn | null, tli: number | null): boolean {
  return replay.lsn !== null && lsn !== null && replay.lsn < lsn && onTimeline(replay, tli);
}

/**
 * Whether a standby replays timeline `tli` (null: any). Timeline 1 has no
 * fork: in a cluster that never failed over every standby replays it, so one
 * that streams nothing (its primary is down) is on it too.
 */
export function onTimeline(replay: Replay, tli: number | null): boolean {
  return tli === null || replay.tli === tli || (replay.tli === null && tli === 1);
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
export async function insertPosition(on: Queryable): Promise<{ lsn: Lsn; tli: number }> {
  const [row] = await rowsOf<{ lsn: string; tli: number }>(
    on,
    `SELECT pg_current_wal_insert_lsn()::text AS lsn, ${TIMELINE_SQL} AS tli`,
  );
  return { lsn: parseLsn(row!.lsn), tli: Number(row!.tli) };
}

/**
 * The primary's timeline: the first 8 hex digits of the WAL file name.
 * `pg_walfile_name()` refuses to run during recovery, so this also fails on a
 * node that is not (or no longer) a primary.
 */
export const TIMELINE_SQL =
  "('x' || substr(pg_walfile_name(pg_current_wal_insert_lsn()), 1, 8))::bit(32)::int";

/** True when the node is in recovery: a standby, never to take a primary's work. */
export async function inRecovery(on: Queryable): Promise<boolean> {
  const [row] = await rowsOf<{ standby: boolean }>(on, 'SELECT pg_is_in_recovery() AS standby');
  return row!.standby;
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
  const [row] = await rowsOf<{ standby: boolean; lsn: string | null; lag_seconds: number | null }>(
    on,
    `SELECT pg_is_in_recovery() AS standby,
            (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
                  ELSE pg_current_wal_insert_lsn() END)::text AS lsn,
            (CASE WHEN NOT pg_is_in_recovery() THEN NULL
                  WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                  ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END)::float8 AS lag_seconds`,
  );
  return {
    standby: row!.standby,
    lsn: parseDbLsn(row!.lsn),
    lagSeconds: row!.lag_seconds === null ? null : Math.max(0, Number(row!.lag_seconds)),
  };
}
