import { createHash, randomBytes } from 'node:crypto';

/** A new API key: 32 random bytes, base64url (43 characters). */
export function generateApiKey(): string {
  return randomBytes(32).toString('base64url');
}

/** What is stored: SHA-256 of the key. Keys are random, so no salt or slow hash is needed. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

// The scheme is case-insensitive and may be followed by several spaces (RFC 9110 section 11.1, 11.4).
const BEARER = /^bearer +([A-Za-z0-9_-]{20,128})$/i;

/** The key of an `Authorization: Bearer <key>` header (any case of `Bearer`), or null if absent or malformed. */
export function parseBearer(header: string | undefined): string | null {
  if (!header || header.length > 200) return null;
  return BEARER.exec(header)?.[1] ?? null;
}
