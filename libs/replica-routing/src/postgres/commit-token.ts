import { parseLsn, type Lsn } from '../lsn.util';
import type { PgConnection } from './pg-connection';
import { rowsOf, TIMELINE_SQL, type Queryable } from './wal.queries';

// A write's token under synchronous replication: what its COMMIT ran with, whether the server
// warned during it, and the position that covers it (docs/design.md, "The token is taken after
// the commit").

/**
 * `synchronous_commit` as the open transaction will commit with it (a `SET
 * LOCAL` included); null when it has no transaction id: it wrote nothing, and
 * its COMMIT waits for no standby, whatever the setting.
 */
export async function syncCommitSetting(on: Queryable): Promise<string | null> {
  const [row] = await rowsOf<{ setting: string | null }>(
    on,
    `SELECT CASE WHEN txid_current_if_assigned() IS NULL THEN NULL
                 ELSE current_setting('synchronous_commit') END AS setting`,
  );
  return row!.setting;
}

/** The `synchronous_commit` values with which COMMIT waits for synchronous standbys to flush. */
const WAITS_FOR_FLUSH = new Set(['on', 'remote_apply']);

/** Whether a COMMIT with this `synchronous_commit` (null: not known) waits for standbys to flush. */
export function waitsForFlush(setting: string | null): boolean {
  return setting !== null && WAITS_FOR_FLUSH.has(setting);
}

/**
 * The token of a write just committed on this connection: the insert
 * position, or, when COMMIT waited for synchronous standbys (`sync_state =
 * 'sync'`, priority-based) to flush the commit record, the position every one
 * of them has flushed if that is lower. That position covers the commit too,
 * and it is at or before where a promoted synchronous standby's new timeline
 * starts, so the token of an acknowledged write survives a failover
 * (docs/design.md, "Failover and timelines"); the insert position may be past
 * that point by WAL of other transactions not yet replicated.
 *
 * Whether COMMIT waited depends on the `synchronous_commit` it ran with,
 * which a `SET LOCAL` changes and COMMIT reverts: `setting` is that value, as
 * {@link syncCommitSetting} read it before COMMIT; null when it was not read,
 * when the transaction wrote nothing (its COMMIT waited for no one, and the
 * flush position may be short of commits it saw that did not wait either),
 * or when it cannot be known (statements that committed on their own, or in
 * a work's own transactions, with what they set): then the insert position,
 * which never falls short. `syncStandbys` says whether the primary has any, so that a caller
 * knows whether the setting is worth reading next time; `flushed`, whether the
 * token is their flush position (then not a sample of the primary's: commits
 * that did not wait for them may lie past it).
 */
export async function committedPosition(
  on: Queryable,
  setting: string | null,
): Promise<{ lsn: Lsn; tli: number; syncStandbys: boolean; flushed: boolean }> {
  const waited = waitsForFlush(setting);
  const [row] = await rowsOf<{ lsn: string; tli: number; sync: boolean }>(
    on,
    `SELECT (CASE WHEN ${waited}
                  THEN least(pg_current_wal_insert_lsn(),
                             (SELECT min(flush_lsn) FROM pg_stat_replication WHERE sync_state = 'sync'))
                  ELSE pg_current_wal_insert_lsn() END)::text AS lsn,
            ${TIMELINE_SQL} AS tli,
            current_setting('synchronous_standby_names') <> '' AS sync`,
  );
  return {
    lsn: parseLsn(row!.lsn),
    tli: Number(row!.tli),
    syncStandbys: row!.sync,
    flushed: waited,
  };
}

/**
 * Runs `commit`, a COMMIT sent on `connection`, and says whether the server
 * warned meanwhile (a notice of SQLSTATE class 01), when it commits with a
 * `synchronous_commit` `setting` that waits for synchronous standbys.
 * A COMMIT whose wait for synchronous standbys was cancelled ("canceling wait
 * for synchronous replication", after a cancel request)
 * still succeeds, with such a warning: it committed locally only, the
 * standbys may not have it, and its token must not be their flush position
 * (`committedPosition` in wal.queries.ts).
 */
export async function commitWarned<T>(
  connection: PgConnection,
  setting: string | null,
  commit: () => Promise<T>,
): Promise<{ answer: T; warned: boolean }> {
  if (!waitsForFlush(setting)) return { answer: await commit(), warned: false };
  let warned = false;
  const listener = (notice: { code?: string }) => {
    if (notice.code?.startsWith('01')) warned = true;
  };
  connection.on('notice', listener);
  try {
    const answer = await commit();
    return { answer, warned };
  } finally {
    connection.off('notice', listener);
  }
}
