import type { EntityManager } from 'typeorm';
import { RIDE_CREATED } from './log.envelope';

/** The channel a staging transaction notifies on commit (no payload: a wake-up, not the log). */
export const OUTBOX_CHANNEL = 'log_outbox';

/**
 * Stages `ride.created` in the ride's own transaction: the event exists if
 * and only if the ride committed. The notification (`pg_notify`, in the same
 * statement: one round trip) is delivered on commit only and wakes the
 * streamer; without it the streamer still polls. Throws (so that the ride's
 * transaction rolls back) unless exactly one event was staged: a ride the
 * statement cannot see (another connection, an id not yet assigned) would
 * otherwise commit with no event, and the consumers' totals would miss it
 * for good.
 */
export async function stageRideCreated(
  em: EntityManager,
  ride: { id: number | string; userId: number | string },
): Promise<void> {
  const staged = await em.query<unknown[]>(
    `WITH staged AS (
       INSERT INTO log_outbox (type, version, payload)
       SELECT $1, 1, jsonb_build_object('ride_id', r.id, 'user_id', r.user_id, 'distance', r.distance::text)
         FROM rides r WHERE r.id = $2
       RETURNING 1)
     SELECT pg_notify('${OUTBOX_CHANNEL}', '') FROM staged`,
    [RIDE_CREATED, ride.id],
  );
  if (staged.length !== 1)
    throw new Error(`ride ${ride.id}: ${staged.length} ride.created events staged, not 1`);
}
