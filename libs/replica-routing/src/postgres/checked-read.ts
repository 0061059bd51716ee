import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityManager } from 'typeorm';
import type { Lsn } from '../lsn.util';
import type { QueryCount } from '../query-counter.logger';
import { inOneWrite, type PgConnection } from './pg-connection';
import { lsnOfRows, REPLAY_POSITION_SQL, SNAPSHOT_BEGIN_SQL } from './wal.queries';

export interface CheckedRead<T> {
  /** Replayed position the node reported; null: not in recovery. */
  replayed: Lsn | null;
  /** Present when `replayed` covered the token: the work's result and a token covering what it saw. */
  served?: { result: T; token: Lsn };
  /** How long the read waited for the replica to replay the token, when it did. */
  waitedMs?: number;
}

export interface CheckedReadInput<T> {
  connection: PgConnection;
  manager: EntityManager;
  token: Lsn | null;
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
  const { connection, token, cover } = input;
  const deadline = Date.now() + input.waitMs;
  let waitStart: number | undefined;
  const waited = () => (waitStart === undefined ? {} : { waitedMs: Date.now() - waitStart });
  const send = (sql: string, trip: boolean) => {
    input.count.total++;
    input.count.routed++;
    if (trip) input.count.roundTrips++;
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
    let replayed: Lsn | null;
    try {
      replayed = lsnOfRows((await check).rows);
    } catch (error) {
      await settled(attempt);
      if (cover) void end('ROLLBACK');
      throw error;
    }
    if (replayed !== null && (token === null || replayed >= token)) {
      let result: T;
      let seen: Lsn | null = replayed;
      try {
        result = await attempt;
        if (upper) seen = lsnOfRows((await upper).rows);
      } catch (error) {
        if (cover) void end('ROLLBACK');
        throw error;
      }
      if (cover) void end('COMMIT');
      // Promoted between the two queries: not a replica any more, whatever it read.
      if (seen === null) return { replayed: null, ...waited() };
      return { replayed, served: { result, token: seen }, ...waited() };
    }
    await settled(attempt);
    if (cover) void end('ROLLBACK');
    if (replayed === null || token === null || Date.now() >= deadline)
      return { replayed, ...waited() };
    waitStart ??= Date.now();
    while (replayed !== null && replayed < token && Date.now() < deadline) {
      await sleep(input.pollMs);
      replayed = lsnOfRows((await send(REPLAY_POSITION_SQL, true)).rows);
    }
    if (replayed === null || replayed < token) return { replayed, ...waited() };
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
