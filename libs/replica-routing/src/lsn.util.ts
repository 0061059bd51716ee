import { InvalidConsistencyTokenError } from './exceptions/invalid-consistency-token.exception';

/**
 * A WAL position (`pg_lsn`) as an unsigned 64-bit integer. Comparing bigints is
 * exact; comparing the text form (`0/9` vs `0/10`) is not.
 */
export type Lsn = bigint;

/** The longest text a client may send as a token: `FFFFFFFF/FFFFFFFF`. */
export const MAX_LSN_TEXT_LENGTH = 17;

/** The value of `text`'s hex digits from `from` to `to`, or -1 if one is not a hex digit. */
function hexValue(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const digit =
      c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** Below 2^53 a position is one exact Number: one BigInt made, not three. */
const EXACT_HIGH_LIMIT = 0x200000;

/**
 * Parses Postgres' `X/Y` text form (1 to 8 hex digits each side); throws
 * {@link InvalidConsistencyTokenError} on anything else. By hand, not by a
 * regular expression and two BigInt parses: it runs on every covered read
 * (the cover's answer) and on every request's token, at about a third of the cost.
 */
export function parseLsn(text: string): Lsn {
  const slash = text.length <= MAX_LSN_TEXT_LENGTH ? text.indexOf('/') : -1;
  const low = text.length - slash - 1;
  const hi = slash >= 1 && slash <= 8 && low >= 1 && low <= 8 ? hexValue(text, 0, slash) : -1;
  const lo = hi < 0 ? -1 : hexValue(text, slash + 1, text.length);
  if (lo < 0) throw new InvalidConsistencyTokenError(text);
  return hi < EXACT_HIGH_LIMIT ? BigInt(hi * 2 ** 32 + lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

/** Parses a value read from Postgres (`pg_lsn` arrives as text, NULL as null). */
export function parseDbLsn(value: unknown): Lsn | null {
  return typeof value === 'string' ? parseLsn(value) : null;
}

/** Formats as Postgres does (`16/B374D848`), so tokens can be pasted into psql. */
export function formatLsn(lsn: Lsn): string {
  const hi = (lsn >> 32n).toString(16).toUpperCase();
  const lo = (lsn & 0xffffffffn).toString(16).toUpperCase();
  return `${hi}/${lo}`;
}

/** The later of two positions; `null` stands for "no requirement". */
export function maxLsn(a: Lsn | null | undefined, b: Lsn | null | undefined): Lsn | null {
  if (a === null || a === undefined) return b ?? null;
  if (b === null || b === undefined) return a;
  return a > b ? a : b;
}

/** Accepts a token in any form a caller may hold: parsed, text, or absent. */
export function toLsn(token: Lsn | string | null | undefined): Lsn | null {
  if (token === null || token === undefined || token === '') return null;
  return typeof token === 'bigint' ? token : parseLsn(token);
}
