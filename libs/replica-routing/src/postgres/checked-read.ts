import { setTimeout as sleep } from 'node:timers/promises';
import { codeOf, isReadOnlyRefusal } from '../db-errors.util';
import type { Lsn } from '../lsn.util';
import { countRouted, type QueryCount } from '../query-count';
import { watchTransactionEnd } from './connection-hygiene';
import { inOneWrite, type PgConnection } from './pg-connection';
import {
  replayBehind,
  replayCovers,
  replayOfRows,
  REPLAY_POSITION_SQL,
  SNAPSHOT_BEGIN_SQL,
  type Replay,
} from './wal.queries';
import { monotonicMs } from '../clock';

/** While a read waits for a replica to replay its token, it asks again this often. */
export const WAIT_POLL_MS = 2;

export interface CheckedRead<T> {
  /** What the node reported of its replay (lsn null: not in recovery). */
  replayed: Replay;
  /** Present when `replayed` covered the token: the work's result and a token covering what it saw. */
  served?: { result: T; token: Lsn };
  /** How long the read waited for the replica to replay the token, when it did. */
  waitedMs?: number;
}

export interface CheckedReadInput<T> {
  connection: PgConnection;
  token: Lsn | null;
  /** The timeline the node must replay (the current one); null when none is known. */
  tli: number | null;
  /** Reads the check's answer (see `StreamedTimelines`). */
  interpret: (rows: readonly Record<string, unknown>[]) => Replay;
  /** The work, bound to the connection (its first statement joins the pipeline). */
  work: () => Promise<T>;
  /** Return a position at or after everything the work could see (monotonic reads). */
  cover: boolean;
  waitMs: number;
  /** Where the check's statements and round trips are counted. */
  count: QueryCount;
  /** Told of a COMMIT or ROLLBACK sent and not awaited: the connection is not free before it is answered. */
  onEnd?: (ending: Promise<void>) => void;
}

/**
 * A replica read in one round trip, on a pipelining connection: the in-band
 * check and the work's first statement leave together, and the work's result
 * is used only if the check, answered first, says the replica had replayed
 * the token. Otherwise the result is dropped (a read has no effects) and the
 * caller goes elsewhere, or waits and tries again. With `cover`, the work
 * runs in a REPEATABLE READ READ ONLY transaction opened right after the
 * check, whose snapshot is taken by a second position query: that position
 * is at or after every commit the work can see. COMMIT is pipelined and not awaited
 * (`onEnd` hears of it: the connection goes back to its pool once it is answered). A
 * work that ends that transaction itself (a nested `transaction()` commits it) runs
 * its later statements outside the snapshot: the position is then asked again after
 * the work, which covers them too. A work that opens its own transaction with an
 * isolation level cannot run inside that one (25001, the snapshot is taken): it runs
 * again without it, the position asked after it.
 */
export async function checkedRead<T>(input: CheckedReadInput<T>): Promise<CheckedRead<T>> {
  const { connection, token, tli, cover } = input;
  // The work runs in the snapshot transaction unless it must open its own (see above).
  let snapshot = cover;
  const deadline = monotonicMs() + input.waitMs;
  let waitStart: number | undefined;
  const waited = () => (waitStart === undefined ? {} : { waitedMs: monotonicMs() - waitStart });
  const send = (sql: string, trip: boolean) => {
    countRouted(input.count, trip);
    return connection.query(sql);
  };
  const end = (sql: 'COMMIT' | 'ROLLBACK') => {
    const ending = send(sql, false).then(
      () => undefined,
      () => undefined,
    );
    input.onEnd?.(ending);
  };
  for (;;) {
    // After the check's ReadyForQuery (idle), any idle one means the snapshot transaction ended.
    let snapshotEnded = false;
    const unwatch = snapshot
      ? watchTransactionEnd(connection, 1, () => (snapshotEnded = true))
      : () => undefined;
    // The check comes first, outside any transaction: a commit it says is replayed is in every
    // snapshot taken after it. With `cover`, the transaction's snapshot is taken by the second
    // position query, so that one is at or after every commit the work can see. (One query for
    // both would be wrong: replay may pass the token between the snapshot and the function call.)
    const [check, upper] = inOneWrite(connection, () => {
      const lower = send(REPLAY_POSITION_SQL, false);
      if (snapshot) void send(SNAPSHOT_BEGIN_SQL, false).catch(() => undefined);
      return [lower, snapshot ? send(REPLAY_POSITION_SQL, false) : undefined] as const;
    });
    void upper?.catch(() => undefined);
    const attempt = invoke(input.work);
    let replayed: Replay;
    try {
      replayed = input.interpret((await check).rows);
    } catch (error) {
      await settled(attempt);
      unwatch();
      if (snapshot && !snapshotEnded) end('ROLLBACK');
      throw error;
    }
    if (replayCovers(replayed, token, tli)) {
      let result: T;
      let seen: Lsn | null = replayed.lsn;
      let snapshotShort = false;
      try {
        result = await attempt;
        if (upper) {
          const at = input.interpret((await upper).rows);
          // Behind a transaction-mode pooler the snapshot's transaction is another server
          // session than the check's, maybe (a replacement under way) on another server: the
          // position it took must show the token too, or the work read from one that lacks it.
          snapshotShort = !replayCovers(at, token, tli);
          seen = at.lsn;
        }
        unwatch();
        if (snapshotEnded || (cover && !snapshot))
          seen = replayOfRows((await send(REPLAY_POSITION_SQL, true)).rows).lsn;
      } catch (error) {
        unwatch();
        if (snapshot && !snapshotEnded) end('ROLLBACK');
        if (snapshot && codeOf(error) === '25001') {
          snapshot = false;
          continue;
        }
        throw error;
      }
      if (snapshot && !snapshotEnded) end('COMMIT');
      if (snapshotShort) return { replayed: { ...replayed, lsn: seen }, ...waited() };
      // Promoted between the two queries: not a replica any more, whatever it read.
      if (seen === null) return { replayed: { lsn: null, tli: null }, ...waited() };
      return { replayed, served: { result, token: seen }, ...waited() };
    }
    const failed = await attempt.then(
      () => undefined,
      (error: unknown) => error,
    );
    unwatch();
    if (snapshot && !snapshotEnded) end('ROLLBACK');
    // Refused as read-only, the work writes: its caller must know (it goes to the primary, where
    // what may have written is never run twice), whatever the check said.
    if (isReadOnlyRefusal(failed)) throw failed;
    // Only a standby on the right timeline that is behind can catch up by waiting.
    const behind = (r: Replay) => replayBehind(r, token, tli);
    if (!behind(replayed) || monotonicMs() >= deadline) return { replayed, ...waited() };
    waitStart ??= monotonicMs();
    while (behind(replayed) && monotonicMs() < deadline) {
      await sleep(WAIT_POLL_MS);
      replayed = input.interpret((await send(REPLAY_POSITION_SQL, true)).rows);
    }
    if (!replayCovers(replayed, token, tli)) return { replayed, ...waited() };
  }
}

/** Starts the work at once (its first statement joins the pipeline); a synchronous throw becomes a rejection. */
async function invoke<T>(work: () => Promise<T>): Promise<T> {
  return work();
}

async function settled(promise: Promise<unknown>): Promise<void> {
  await promise.then(
    () => undefined,
    () => undefined,
  );
}
