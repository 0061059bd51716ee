import { createHash } from 'node:crypto';

/** What makes two requests "the same": the fields that shape the ride. */
export function requestHash(fields: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}
