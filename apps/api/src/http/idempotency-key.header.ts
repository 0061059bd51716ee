import { UnprocessableEntityException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';

const KEY = /^[\x21-\x7e]{1,255}$/;

/** The Idempotency-Key header, validated: 1-255 printable ASCII characters (a UUID is typical). */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const key = Array.isArray(header) ? header.join(',') : header;
  if (!KEY.test(key)) {
    throw new UnprocessableEntityException(
      'Idempotency-Key must be 1-255 printable ASCII characters (a UUID, say)',
    );
  }
  return key;
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
