import type { EntityManager } from 'typeorm';
import { generateApiKey, hashApiKey } from '../auth/api-key.util';

type Querier = Pick<EntityManager, 'query'>;

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
 * {@link issueKey}); false when it was revoked already.
 */
export async function revokeKey(
  em: Querier,
  keyId: number,
  revokedFor: string | null,
): Promise<boolean> {
  // A SELECT, so that the count comes back the same way from any driver.
  const rows = await em.query<{ n: number }[]>(
    `WITH revoked AS (
       UPDATE api_keys SET revoked_at = now(), revoked_for = $2
        WHERE id = $1 AND revoked_at IS NULL RETURNING id
     )
     SELECT count(*)::int AS n FROM revoked`,
    [keyId, revokedFor],
  );
  return rows[0]?.n === 1;
}

/**
 * Whether the key was revoked by a rotation with this Idempotency-Key (its
 * hash) no longer than `ttlHours` ago: a retry of that rotation may use it.
 * A statement of its own, after {@link revokeKey}: under READ COMMITTED it
 * sees a rotation that committed while that one waited for the row.
 */
export async function revokedBy(
  em: Querier,
  keyId: number,
  request: string,
  ttlHours: number,
): Promise<boolean> {
  const rows = await em.query<unknown[]>(
    `SELECT 1 FROM api_keys
      WHERE id = $1 AND revoked_for = $2 AND revoked_at > now() - make_interval(hours => $3)`,
    [keyId, request, ttlHours],
  );
  return rows.length > 0;
}

/**
 * A retried sign-up or rotation: the keys its earlier attempts issued (their
 * responses lost) are revoked, and a new one issued, under the same request.
 */
export async function reissueKey(em: Querier, userId: number, request: string): Promise<string> {
  await em.query(
    `UPDATE api_keys SET revoked_at = now()
      WHERE user_id = $1 AND issued_for = $2 AND revoked_at IS NULL`,
    [userId, request],
  );
  return issueKey(em, userId, request);
}
