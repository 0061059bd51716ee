import {
  InvalidConsistencyTokenError,
  WriteLostError,
  type ReplicaRouter,
} from '@app/replica-routing';
import type { EntityManager } from 'typeorm';
import type { Decoded } from './log.envelope';

type Ride = Extract<Decoded, { ok: true }>;

/**
 * A ride read back through the routing library with its event's token was
 * missing or different: a stale read, which the library promises never to
 * serve. The batch is retried (nothing was counted), but it is no ordinary
 * failure: the consumer counts it and says so loudly.
 */
export class StaleReadBackError extends Error {
  override readonly name = 'StaleReadBackError';
}

/**
 * Reads a batch's rides back through the routing library with the newest
 * token of the batch (which covers every earlier one): a replica serves only
 * if it has every one of those commits. A missing or different ride would be
 * a stale read: it throws. Returns the node that served. A token signed with
 * another `TOKEN_SECRET` (rotated since it was published) proves nothing
 * here: the batch is read back on the primary, which has every ride, rather
 * than waiting forever (`onBadSignature` hears of it). A token the current
 * history lost (`WriteLostError`: an event published before an asynchronous
 * failover, sent again with its old token) is read back on the primary too:
 * rides it has, unchanged, survived, and count (the apply checks each seq
 * against the outbox); one it lacks fails the batch with that error, until
 * the streamer has rebuilt the stream.
 */
export async function readBack(
  router: ReplicaRouter<EntityManager>,
  rides: readonly Ride[],
  onBadSignature: (message: string) => void,
): Promise<string> {
  const read = (options: { token: string } | { primary: true }) =>
    router.read(
      (em) =>
        em.query<{ id: string; distance: string }[]>(
          'SELECT id::text AS id, distance::text AS distance FROM rides WHERE id = ANY($1::bigint[])',
          [rides.map((r) => r.ride.ride_id)],
        ),
      { ...options, cover: false },
    );
  let lost: WriteLostError | undefined;
  const { result, servedBy } = await read({ token: rides.at(-1)!.envelope.token }).catch(
    (error: unknown) => {
      if (error instanceof WriteLostError) {
        lost = error;
        return read({ primary: true });
      }
      if (!(error instanceof InvalidConsistencyTokenError && error.rejection === 'bad_signature'))
        throw error;
      // One message for every such batch: the warner says it once, then counts.
      onBadSignature(
        'a batch carries tokens signed with another TOKEN_SECRET: reading it back on the primary',
      );
      return read({ primary: true });
    },
  );
  const found = new Map(result.map((r) => [Number(r.id), r.distance]));
  const wrong = rides.filter((r) => found.get(r.ride.ride_id) !== r.ride.distance);
  // The primary lacks what a lost token's events say: the failover lost them (no stale read).
  if (wrong.length > 0 && lost) throw lost;
  if (wrong.length > 0)
    throw new StaleReadBackError(
      `STALE read back from ${servedBy}: rides ${wrong.map((r) => r.ride.ride_id).join(', ')} missing or different (a stale read)`,
    );
  return servedBy;
}
