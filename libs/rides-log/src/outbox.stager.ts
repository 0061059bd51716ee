import type { EntityManager } from 'typeorm';
import { RIDE_CREATED } from './log.envelope';

/** The channel a staging transaction notifies on commit (no payload: a wake-up, not the log). */
export const OUTBOX_CHANNEL = 'log_outbox';

/**
 * Stages `ride.created` in the ride's own transaction: the event exists if
 * and only if the ride committed. The notification (`pg_notify`, in the same
 * statement: one round trip) is delivered on commit only and wakes the
 * streamer; without it the streamer still polls.
 */
export async function stageRideCreated(
  em: EntityManager,
  ride: { id: number | string; userId: number | string },
): Promise<void> {
  await em.query(
    `WITH staged AS (
       INSERT INTO log_outbox (type, version, payload)
       SELECT $1, 1, jsonb_build_object('ride_id', r.id, 'user_id', r.user_id, 'distance', r.distance::text)
         FROM rides r WHERE r.id = $2
       RETURNING 1)
     SELECT pg_notify('${OUTBOX_CHANNEL}', '') FROM staged`,
    [RIDE_CREATED, ride.id],
  );
}
