import { UnprocessableEntityException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';

const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The least length of an Idempotency-Key that works as a secret: the one of
 * a sign-up or a rotation, whose holder can get an API key by repeating it.
 */
export const SECRET_KEY_MIN = 16;

/** Why `key` is no Idempotency-Key (a secret one with `secret`); null when it is one. */
function keyProblem(key: string, secret: boolean): string | null {
  if (!KEY.test(key))
    return 'Idempotency-Key must be 1-255 visible ASCII characters, no spaces (a UUID, say)';
  if (secret && key.length < SECRET_KEY_MIN)
    return (
      `Idempotency-Key must be at least ${SECRET_KEY_MIN} characters here: repeating this ` +
      'request with it gets an API key, so make it random (a UUID v4)'
    );
  return null;
}

const joined = (header: string | string[]) => (Array.isArray(header) ? header.join(',') : header);

/**
 * The Idempotency-Key header, validated: 1-255 visible ASCII characters, no
 * spaces (a UUID is typical); with `secret`, at least SECRET_KEY_MIN of them.
 */
export function parseIdempotencyKey(
  header: string | string[] | undefined,
  { secret = false } = {},
): string | undefined {
  if (header === undefined) return undefined;
  const key = joined(header);
  const problem = keyProblem(key, secret);
  if (problem !== null) throw new UnprocessableEntityException(problem);
  return key;
}

/** The header if it is a valid secret Idempotency-Key, else undefined (no 422: for authentication). */
export function secretIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const key = joined(header);
  return keyProblem(key, true) === null ? key : undefined;
}

/**
 * What `api_keys` stores of the Idempotency-Key of a request that issued or
 * revoked a key: its SHA-256. The key itself lets its holder repeat the
 * request and get a new API key, so it is kept like one.
 */
export function idempotencyKeyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

const REPLAYED = 'Idempotent-Replayed';

/** OpenAPI: the header on an answer that repeats an earlier request with the same Idempotency-Key. */
export const REPLAYED_HEADER = { [REPLAYED]: { schema: { type: 'string', enum: ['true'] } } };

/** Says so on an answer that repeats an earlier request with the same Idempotency-Key. */
export function markReplayed(res: ServerResponse, replayed: boolean): void {
  if (replayed) res.setHeader(REPLAYED, 'true');
}
