import { InvalidConsistencyTokenError } from './exceptions/invalid-consistency-token.exception';

/**
 * A WAL position (`pg_lsn`) as an unsigned 64-bit integer. Comparing bigints is
 * exact; comparing the text form (`0/9` vs `0/10`) is not.
 */
export type Lsn = bigint;

const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** The longest text a client may send as a token: `FFFFFFFF/FFFFFFFF`. */
export const MAX_LSN_TEXT_LENGTH = 17;

/** Parses Postgres' `X/Y` text form; throws {@link InvalidConsistencyTokenError} on anything else. */
export function parseLsn(text: string): Lsn {
  const match = text.length <= MAX_LSN_TEXT_LENGTH ? LSN_TEXT.exec(text) : null;
  if (!match) {
    throw new InvalidConsistencyTokenError(text);
  }
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
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
