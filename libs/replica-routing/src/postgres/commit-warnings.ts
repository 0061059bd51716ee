import type { PgConnection } from './pg-connection';
import { waitsForFlush } from './wal.queries';

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
