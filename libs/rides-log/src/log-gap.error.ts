import type { EntityManager } from 'typeorm';
import type { ReplicaRouter } from '@app/replica-routing';

/** A gap in seq: an entry is missing between the consumer's position and the next one it read. */
export class LogGapError extends Error {
  override readonly name = 'LogGapError';
  constructor(
    readonly consumer: string,
    readonly expected: bigint,
    readonly found: bigint,
  ) {
    super(
      `${consumer}: the stream jumps from seq ${expected - 1n} to ${found}; entries ${expected}..${found - 1n} are missing. ` +
        'Neither the stream nor the outbox holds them any more (a consumer registered after retention deleted them, or whose row was deleted): ' +
        'stopped for good without applying anything past the gap. Seed its row from another consumer: docs/operations.md, "When a consumer stops on a gap".',
    );
  }
}

/**
 * What a jump from `expected` to `found` in the stream is. Entries this
 * database never gave out: the stream is another database's log (the
 * database was rebuilt and Redis kept). Entries the outbox still has: the
 * stream lost or trimmed them (a Redis restart, a consumer that joined after
 * the stream was trimmed below the others), or has not taken them yet (one
 * XADD of a pipeline refused), and the streamer publishes them (again). Both are waited for (retried), never applied around. Only a hole
 * that nothing can fill any more is a gap: it stops the consumer.
 */
export async function gapOrForeign(
  router: ReplicaRouter<EntityManager>,
  consumer: string,
  expected: bigint,
  found: bigint,
): Promise<Error> {
  const { result } = await router.read(
    (em) =>
      em.query<{ last: string; held: boolean }[]>(
        `SELECT (SELECT last_seq::text FROM log_sequence) AS last,
                EXISTS (SELECT 1 FROM log_outbox WHERE seq = $1) AS held`,
        [expected.toString()],
      ),
    { primary: true },
  );
  const sequenced = BigInt(result[0]?.last ?? '0');
  if (found > sequenced)
    return new Error(
      `the stream holds seq ${found}, which this database never gave out (its last is ${sequenced}): ` +
        'another database’s log; waiting for the streamer to rebuild it',
    );
  if (result[0]?.held)
    return new Error(
      `the stream lacks seqs ${expected}..${found - 1n}, which the outbox still has; ` +
        'waiting for the streamer to publish them again',
    );
  return new LogGapError(consumer, expected, found);
}
