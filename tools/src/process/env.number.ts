/** What a numeric setting of a tool may be. */
export interface NumberRange {
  min: number;
  max: number;
  /** Whole numbers only (ports, counts). */
  integer?: boolean;
}

/** A TCP port. */
export const PORT: NumberRange = { min: 1, max: 65_535, integer: true };

/**
 * The number `name` holds in the environment, or `fallback` when it is
 * unset or empty. Anything else (not a number, out of `range`) throws an
 * error that names the variable: a tool stops before it starts, instead of
 * running with NaN phases or a port of 0.
 */
export function envNumber(name: string, fallback: number, range: NumberRange): number {
  const text = process.env[name];
  const value = text === undefined || text.trim() === '' ? fallback : Number(text);
  const ok =
    Number.isFinite(value) &&
    value >= range.min &&
    value <= range.max &&
    (!range.integer || Number.isInteger(value));
  if (!ok)
    throw new Error(
      `${name} must be ${range.integer ? 'a whole number' : 'a number'} from ${range.min} to ${range.max}, not ${JSON.stringify(text)}`,
    );
  return value;
}
