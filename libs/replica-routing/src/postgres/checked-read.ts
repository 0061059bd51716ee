import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityManager } from 'typeorm';
import type { Lsn } from '../lsn.util';
import { countRouted, type QueryCount } from '../query-counter.logger';
import { inOneWrite, type PgConnection } from './pg-connection';
import {
  replayBehind,
  replayCovers,
  replayOfRows,
  REPLAY_POSITION_SQL,
  SNAPSHOT_BEGIN_SQL,
  type Replay,
} from './wal.queries';

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
  manager: EntityManager;
  token: Lsn | null;
  /** The timeline the node must replay (the current one); null when none is known. */
  tli: number | null;
  /** Reads the check's answer (see `StreamedTimelines`). */
  interpret: (rows: readonly Record<string, unknown>[]) => Replay;
  work: (manager: EntityManager) => Promise<T>;
  /** Return a position at or after everything the work could see (monotonic reads). */
  cover: boolean;
  waitMs: number;
  pollMs: number;
  /** Where statements and round trips are counted (statements sent here bypass TypeORM's logger). */
  count: QueryCount;
}

/**
 * A replica read in one round trip, on a pipelining connection: the in-band
 * check and the work's first statement leave together, and the work's result
 * is used only if the check, answered first, says the replica had replayed
 * the token. Otherwise the result is dropped (a read has no effects) and the
 * caller goes elsewhere, or waits and tries again. With `cover`, the work
 * runs in a REPEATABLE READ READ ONLY transaction opened right after the
 * check, whose snapshot is taken by a second position query: that position
 * is at or after every commit the work can see. COMMIT is pipelined and not awaited:
 * the connection answers it before anything the next borrower sends.
 */
export async function checkedRead<T>(input: CheckedReadInput<T>): Promise<CheckedRead<T>> {
  const { connection, token, tli, cover } = input;
  const deadline = Date.now() + input.waitMs;
  let waitStart: number | undefined;
  const waited = () => (waitStart === undefined ? {} : { waitedMs: Date.now() - waitStart });
  const send = (sql: string, trip: boolean) => {
    countRouted(input.count, trip);
    return connection.query(sql);
  };
  const end = (sql: 'COMMIT' | 'ROLLBACK') =>
    send(sql, false).then(
      () => undefined,
      () => undefined,
    );
  for (;;) {
    // The check comes first, outside any transaction: a commit it says is replayed is in every
    // snapshot taken after it. With `cover`, the transaction's snapshot is taken by the second
    // position query, so that one is at or after every commit the work can see. (One query for
    // both would be wrong: replay may pass the token between the snapshot and the function call.)
    const [check, upper] = inOneWrite(connection, () => {
      const lower = send(REPLAY_POSITION_SQL, false);
      if (cover) void send(SNAPSHOT_BEGIN_SQL, false).catch(() => undefined);
      return [lower, cover ? send(REPLAY_POSITION_SQL, false) : undefined] as const;
    });
    void upper?.catch(() => undefined);
    const attempt = invoke(input.work, input.manager);
    let replayed: Replay;
    try {
      replayed = input.interpret((await check).rows);
    } catch (error) {
      await settled(attempt);
      if (cover) void end('ROLLBACK');
      throw error;
    }
    if (replayCovers(replayed, token, tli)) {
      let result: T;
      let seen: Lsn | null = replayed.lsn;
      try {
        result = await attempt;
        if (upper) seen = replayOfRows((await upper).rows).lsn;
      } catch (error) {
        if (cover) void end('ROLLBACK');
        throw error;
      }
      if (cover) void end('COMMIT');
      // Promoted between the two queries: not a replica any more, whatever it read.
      if (seen === null) return { replayed: { lsn: null, tli: null }, ...waited() };
      return { replayed, served: { result, token: seen }, ...waited() };
    }
    await settled(attempt);
    if (cover) void end('ROLLBACK');
    // Only a standby on the right timeline that is behind can catch up by waiting.
    const behind = (r: Replay) => replayBehind(r, token, tli);
    if (!behind(replayed) || Date.now() >= deadline) return { replayed, ...waited() };
    waitStart ??= Date.now();
    while (behind(replayed) && Date.now() < deadline) {
      await sleep(input.pollMs);
      replayed = input.interpret((await send(REPLAY_POSITION_SQL, true)).rows);
    }
    if (!replayCovers(replayed, token, tli)) return { replayed, ...waited() };
  }
}

/** Starts the work at once (its first statement joins the pipeline); a synchronous throw becomes a rejection. */
async function invoke<T>(
  work: (manager: EntityManager) => Promise<T>,
  manager: EntityManager,
): Promise<T> {
  return work(manager);
}

async function settled(promise: Promise<unknown>): Promise<void> {
  await promise.then(
    () => undefined,
    () => undefined,
  );
}
