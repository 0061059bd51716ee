import { createHash, randomBytes } from 'node:crypto';

/** A new API key: 32 random bytes, base64url (43 characters). */
export function generateApiKey(): string {
  return randomBytes(32).toString('base64url');
}

/** What is stored: SHA-256 of the key. Keys are random, so no salt or slow hash is needed. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

const BEARER = /^Bearer ([A-Za-z0-9_-]{20,128})$/;

/** The key of an `Authorization: Bearer <key>` header, or null if absent or malformed. */
export function parseBearer(header: string | undefined): string | null {
  if (!header || header.length > 200) return null;
  return BEARER.exec(header)?.[1] ?? null;
}
