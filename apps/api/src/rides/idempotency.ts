import { UnprocessableEntityException } from '@nestjs/common';
import { createHash } from 'node:crypto';

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

/** What makes two requests "the same": the fields that shape the ride. */
export function requestHash(fields: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}
