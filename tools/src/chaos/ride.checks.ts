import type { Client } from 'pg';

/** Runs `fn` on a superuser connection to the primary's `rocket_rides` (whichever node that is now). */
export type OnPrimary = <T>(fn: (client: Client) => Promise<T>) => Promise<T>;

/**
 * Acknowledged rides that are missing on the primary, or hold another
 * distance or rider (after an asynchronous failover a new ride can take a
 * lost one's id).
 */
export async function lostRides<R extends { id: number; distance: number; userId: number }>(
  onPrimary: OnPrimary,
  acknowledged: R[],
): Promise<R[]> {
  const stored = await onPrimary(async (c) => {
    const { rows } = await c.query<{ id: string; distance: string; user_id: string }>(
      'SELECT id::text, distance::text, user_id::text FROM rides WHERE id = ANY($1)',
      // An id that is no integer (a 201 whose body named none) is no ride: reported lost.
      [acknowledged.map((r) => r.id).filter(Number.isSafeInteger)],
    );
    return new Map(rows.map((r) => [Number(r.id), r]));
  });
  return acknowledged.filter((r) => {
    const row = stored.get(r.id);
    return !row || Number(row.distance) !== r.distance || Number(row.user_id) !== r.userId;
  });
}

export interface DuplicateReport {
  users: number;
  rides: number;
  keys: number;
  /** Rides that no Idempotency-Key points to: a retry that made a second ride. */
  duplicated: number;
  /** Keys whose ride is missing (claimed, yet no ride), or that share a ride with another key. */
  keysWithoutOwnRide: number;
}

/**
 * Every write of the simulator (`sim-*` users) and of the burst (`burst-*`)
 * carries a fresh Idempotency-Key, so each ride of theirs must be the ride of
 * exactly one key. Counted per user: rides against distinct keyed rides.
 */
export function duplicatedRides(onPrimary: OnPrimary): Promise<DuplicateReport> {
  return onPrimary(async (c) => {
    const { rows } = await c.query<Record<keyof DuplicateReport, string>>(
      `WITH u AS (SELECT id FROM users WHERE email LIKE 'sim-%' OR email LIKE 'burst-%'),
            r AS (SELECT user_id, count(*) AS n FROM rides WHERE user_id IN (SELECT id FROM u) GROUP BY 1),
            k AS (SELECT user_id, count(*) AS n, count(DISTINCT ride_id) AS rides,
                         count(*) FILTER (WHERE ride_id IS NULL) AS unset
                    FROM idempotency_keys WHERE user_id IN (SELECT id FROM u) GROUP BY 1)
       SELECT (SELECT count(*) FROM u) AS users,
              coalesce(sum(r.n), 0) AS rides,
              coalesce(sum(k.n), 0) AS keys,
              coalesce(sum(greatest(coalesce(r.n, 0) - coalesce(k.rides, 0), 0)), 0) AS duplicated,
              coalesce(sum(k.unset + (k.n - k.unset - k.rides)), 0) AS "keysWithoutOwnRide"
         FROM r FULL JOIN k USING (user_id)`,
    );
    const row = rows[0]!;
    return {
      users: Number(row.users),
      rides: Number(row.rides),
      keys: Number(row.keys),
      duplicated: Number(row.duplicated),
      keysWithoutOwnRide: Number(row.keysWithoutOwnRide),
    };
  });
}
