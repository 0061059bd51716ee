import type { EntityManager } from 'typeorm';
import type { ReplicaRouter } from '@app/replica-routing';
import type { ConsumerOptions } from './consumer.options';
import { maybeFail } from './failure.injection';
import type { Decoded } from './log.envelope';
import { logMetrics } from './log.metrics';

/**
 * A batch holds events the outbox did not give their seqs: the stream holds a
 * history the database lost in a failover, until the streamer rebuilds it.
 */
export class OtherHistoryError extends Error {
  override readonly name = 'OtherHistoryError';
}

/**
 * Applies a batch that follows position `from`, in one transaction on the
 * primary: the total, the count and the new position of consumer `name`
 * together, and the entries it cannot use as dead letters (docs/design.md,
 * "The unified log"). Returns how many entries it applied (the batch); throws,
 * with nothing committed, when the position is no longer `from` or the batch
 * holds events the outbox did not give those seqs.
 */
export async function applyBatch(
  router: ReplicaRouter<EntityManager>,
  { name, failRate }: Pick<ConsumerOptions, 'name' | 'failRate'>,
  from: bigint,
  batch: readonly Decoded[],
  warn: (message: string) => void,
): Promise<number> {
  const rides = batch.flatMap((d) => (d.ok ? [d] : []));
  const dead = batch.flatMap((d) => (d.ok ? [] : [d]));
  const last = from + BigInt(batch.length);
  maybeFail(failRate, `before committing seqs ${from + 1n}..${last}`);
  // One statement, so one transaction without a BEGIN/COMMIT round trip each. It counts the
  // batch only from the position it was read at: the UPDATE takes the row's lock (a second copy
  // of this consumer waits for it) and then sees the position as committed; the dead letters
  // are written only with it. Decimal text summed as numeric: exact, whatever the order.
  // A SELECT around the writes: TypeORM answers an UPDATE with [rows, count], a SELECT with rows.
  // When the statement that counted the batch completed: its commit (it runs alone).
  // Each counted event must be the one the outbox gave its seq: after an asynchronous failover
  // Redis may still hold events of a claim the new primary lost, whose seqs it gives out again
  // (docs/design.md, "Tokens through the log"). Such a batch is refused until the streamer has
  // rebuilt the stream.
  let committedAt = 0;
  const { result } = await router.write(
    (em) =>
      em
        .query<{ n: number; known: number; lettered: number }[]>(
          `WITH known AS (
           SELECT count(*) AS n
             FROM unnest($9::bigint[], $10::text[]) AS e(seq, event_id)
             JOIN log_outbox o ON o.seq = e.seq AND o.event_id::text = e.event_id),
         counted AS (
           UPDATE consumer_states
              SET total_distance = total_distance + (SELECT coalesce(sum(d::numeric), 0) FROM unnest($2::text[]) d),
                  rides_counted = rides_counted + $3, last_seq = $4, updated_at = now()
            WHERE name = $1 AND last_seq = $5 AND (SELECT n FROM known) = $3
            RETURNING 1),
         dead AS (
           INSERT INTO log_dead_letters (consumer, seq, reason, fields)
           SELECT $1, d.seq, d.reason, d.fields::jsonb
             FROM unnest($6::bigint[], $7::text[], $8::text[]) AS d(seq, reason, fields)
            WHERE EXISTS (SELECT 1 FROM counted)
           -- Lettered once already (a consumer re-seeded from a state behind it): the first stays.
           ON CONFLICT (consumer, seq) DO NOTHING
           RETURNING 1)
         SELECT (SELECT count(*) FROM counted)::int AS n, (SELECT n FROM known)::int AS known,
                (SELECT count(*) FROM dead)::int AS lettered`,
          [
            name,
            rides.map((r) => r.ride.distance),
            rides.length,
            last.toString(),
            from.toString(),
            dead.map((d) => d.seq.toString()),
            dead.map((d) => d.reason),
            dead.map((d) => JSON.stringify(d.fields)),
            rides.map((r) => r.envelope.seq.toString()),
            rides.map((r) => r.envelope.eventId),
          ],
        )
        .finally(() => (committedAt = Date.now())),
    // Nothing reads this write back through the router: no token, one round trip fewer.
    { transaction: false, token: false },
  );
  if (result[0]?.known !== rides.length)
    throw new OtherHistoryError(
      `seqs ${from + 1n}..${last} in the stream are not all the events the outbox gave those ` +
        'seqs (the stream holds a history the database lost in a failover): waiting for the ' +
        'streamer to rebuild it',
    );
  if (result[0]?.n !== 1)
    throw new Error(
      `the position is no longer ${from} under this batch (another copy of ${name} moved it?)`,
    );
  for (const r of rides)
    logMetrics.commitToApply.observe(
      { consumer: name },
      Math.max(0, committedAt - Date.parse(r.envelope.occurredAt)) / 1000,
    );
  // Only those written now: one lettered before (a consumer re-seeded behind it) is not counted again.
  const lettered = result[0]?.lettered ?? 0;
  if (lettered > 0) {
    logMetrics.deadLetters.inc({ consumer: name }, lettered);
    warn(
      `${lettered} entries to log_dead_letters: ${dead.map((d) => `seq ${d.seq} (${d.reason})`).join('; ')}`,
    );
  }
  logMetrics.consumerLastSeq.set({ consumer: name }, Number(last));
  return batch.length;
}
