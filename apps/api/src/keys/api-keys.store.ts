import type { EntityManager } from 'typeorm';
import { generateApiKey, hashApiKey } from '../auth/api-key.util';

type Querier = Pick<EntityManager, 'query'>;

/**
 * Locks the rider for the rest of the transaction: what issues or revokes
 * its keys runs one at a time, each after the last has committed, so that a
 * revocation sees every key a retry has just issued (and a retry sees a
 * revocation that closed its request). Run it first, as a statement of its
 * own: the statements after it see what committed while it waited. Not
 * against rides: their foreign key takes a lock this one lets through.
 */
export async function lockRider(em: Querier, userId: number): Promise<void> {
  await em.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [userId]);
}

/** The first key of the two-key advisory locks on an Idempotency-Key: a space of its own. */
const IDEMPOTENCY_LOCK_SPACE = 0x6b6579; // 'key'

/**
 * Holds the Idempotency-Key (its hash) for the rest of the transaction:
 * requests that issue keys with one Idempotency-Key run one at a time, each
 * after the last has committed, so that a second request with that key (a
 * sign-up of another email, say) sees what the first did and is refused,
 * instead of both passing the check at once. Run it first, as a statement of
 * its own (as {@link lockRider}). Two keys whose hashes collide merely wait
 * for each other.
 */
export async function lockIdempotencyKey(em: Querier, request: string): Promise<void> {
  await em.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
    IDEMPOTENCY_LOCK_SPACE,
    request,
  ]);
}

/**
 * Stores a new key for `userId` and returns it: the only time it exists
 * outside the client. `issuedFor`: the hash of the Idempotency-Key of the
 * request that issues it (null without one), for that request's retries.
 */
export async function issueKey(
  em: Querier,
  userId: number,
  issuedFor: string | null,
): Promise<string> {
  const apiKey = generateApiKey();
  await em.query('INSERT INTO api_keys (user_id, key_hash, issued_for) VALUES ($1, $2, $3)', [
    userId,
    hashApiKey(apiKey),
    issuedFor,
  ]);
  return apiKey;
}

/**
 * Revokes the key, remembering the request that did (`revokedFor`, as for
 * {@link issueKey}), and with it every other live key the request that issued
 * it issued (retries whose answers may have been lost): a rotation or a
 * revocation leaves none of them behind. False when the key itself was
 * revoked already.
 */
export async function revokeKey(
  em: Querier,
  keyId: number,
  revokedFor: string | null,
): Promise<boolean> {
  // A SELECT, so that the count comes back the same way from any driver.
  const rows = await em.query<{ n: number }[]>(
    `WITH target AS (SELECT id, user_id, issued_for FROM api_keys WHERE id = $1),
     revoked AS (
       UPDATE api_keys k
          SET revoked_at = now(), revoked_for = CASE WHEN k.id = t.id THEN $2 END
         FROM target t
        WHERE k.revoked_at IS NULL
          AND (k.id = t.id OR (k.user_id = t.user_id AND k.issued_for = t.issued_for))
       RETURNING k.id
     )
     SELECT count(*) FILTER (WHERE id = $1)::int AS n FROM revoked`,
    [keyId, revokedFor],
  );
  return rows[0]?.n === 1;
}

/**
 * SQL: the timestamp `column` is no older than the `hours` parameter (the
 * Idempotency-Key TTL): a request older than that can no longer be retried.
 */
export const withinTtl = (column: string, hours: string): string =>
  `${column} > now() - make_interval(hours => ${hours})`;

/**
 * SQL: a key the request with Idempotency-Key hash `$2` issued to the rider
 * `user_id` is still live. A retry may issue another only then: once the
 * rider has rotated or revoked what that request gave, it stays closed.
 */
export const ISSUED_KEY_LIVE = `EXISTS (SELECT 1 FROM api_keys live
   WHERE live.user_id = k.user_id AND live.issued_for = $2 AND live.revoked_at IS NULL)`;

/**
 * The rule a retry of a sign-up or a rotation follows: the key row `k`
 * (`keyRow`, chosen by `$1`) was marked by the request with Idempotency-Key
 * hash `$2` (its column `by`, timestamp `at`) no longer than `$3` hours ago,
 * and a key that request issued is live.
 */
async function retryOpen(
  em: Querier,
  keyRow: string,
  { by, at }: { by: string; at: string },
  params: [number, string, number],
): Promise<boolean> {
  const rows = await em.query<unknown[]>(
    `SELECT 1 FROM (${keyRow}) k
      WHERE k.${by} = $2 AND ${withinTtl(`k.${at}`, '$3')} AND ${ISSUED_KEY_LIVE}`,
    params,
  );
  return rows.length > 0;
}

/**
 * Whether the key was revoked by a rotation with this Idempotency-Key (its
 * hash) no longer than `ttlHours` ago, and a key that rotation issued is
 * live: a retry of that rotation may issue another. A statement of its own,
 * after {@link revokeKey}: under READ COMMITTED it sees a rotation that
 * committed while that one waited for the row.
 */
export function rotationRetryable(
  em: Querier,
  keyId: number,
  request: string,
  ttlHours: number,
): Promise<boolean> {
  return retryOpen(
    em,
    'SELECT user_id, revoked_for, revoked_at FROM api_keys WHERE id = $1',
    { by: 'revoked_for', at: 'revoked_at' },
    [keyId, request, ttlHours],
  );
}

/**
 * Whether this Idempotency-Key (its hash) revoked another key of the rider
 * `userId` than `keyId` no longer than `ttlHours` ago: it served a rotation
 * of another of its keys. Reused for a second rotation, it would issue live
 * keys for that first rotation's request, and reopen retries with the key it
 * revoked. Another rider's use of the same key is none of this rider's (and
 * reopens nothing here: retries look at the rider's own keys).
 */
export async function rotatedAnotherKey(
  em: Querier,
  userId: number,
  keyId: number,
  request: string,
  ttlHours: number,
): Promise<boolean> {
  const rows = await em.query<unknown[]>(
    `SELECT 1 FROM api_keys
      WHERE revoked_for = $2 AND user_id = $4 AND id <> $1 AND ${withinTtl('revoked_at', '$3')}
      LIMIT 1`,
    [keyId, request, ttlHours, userId],
  );
  return rows.length > 0;
}

/**
 * Whether the rider's first key (its sign-up's) was issued for this
 * Idempotency-Key (its hash) no longer than `ttlHours` ago, and a key that
 * sign-up issued is live: a retry of that sign-up may issue another. After
 * {@link lockRider}.
 */
export function signUpRetryable(
  em: Querier,
  userId: number,
  request: string,
  ttlHours: number,
): Promise<boolean> {
  return retryOpen(
    em,
    'SELECT user_id, issued_for, created_at FROM api_keys WHERE user_id = $1 ORDER BY id LIMIT 1',
    { by: 'issued_for', at: 'created_at' },
    [userId, request, ttlHours],
  );
}

/**
 * Whether the Idempotency-Key (its hash) served a request other than a
 * sign-up of `email` no longer than `ttlHours` ago: it issued a key for
 * another email's sign-up, or a rotation used it.
 */
export async function servedAnotherRequest(
  em: Querier,
  request: string,
  email: string,
  ttlHours: number,
): Promise<boolean> {
  const [row] = await em.query<{ used: boolean }[]>(
    `SELECT EXISTS (SELECT 1 FROM api_keys k JOIN users u ON u.id = k.user_id
                     WHERE k.issued_for = $1 AND lower(u.email) <> lower($2)
                       AND ${withinTtl('k.created_at', '$3')})
         OR EXISTS (SELECT 1 FROM api_keys
                     WHERE revoked_for = $1 AND ${withinTtl('revoked_at', '$3')})
         AS used`,
    [request, email, ttlHours],
  );
  return row?.used === true;
}
