import { inCauseChain, isStatementError } from './db-errors.util';

const COMMIT_UNKNOWN = Symbol('commitUnknown');

/** The error of a write whose outcome is unknown (the connection failed during or after COMMIT). */
export function markCommitUnknown<E>(error: E): E {
  if (typeof error === 'object' && error !== null)
    Object.defineProperty(error, COMMIT_UNKNOWN, { value: true });
  return error;
}

/** True when a write may have committed although it failed: never to be run again on its own. */
export function markedCommitUnknown(error: unknown): boolean {
  return inCauseChain(error, (e) => (e as Record<symbol, unknown>)[COMMIT_UNKNOWN] === true);
}

/**
 * True when the server refused a COMMIT with an error of the statement: an
 * error before the commit record is written rolls the transaction back (after
 * it, Postgres would PANIC), so nothing was committed. A session ended during
 * COMMIT (a FATAL, perhaps while it waited for a synchronous standby, the
 * commit already local) or a lost connection leaves the outcome unknown.
 * (`severity` is the server's localized word: with `lc_messages` in another
 * language a FATAL whose message no rule knows is taken as an ERROR.)
 */
export function refusedOutright(error: unknown): boolean {
  const severity = (error as { severity?: unknown } | null)?.severity;
  return isStatementError(error) && severity !== 'FATAL' && severity !== 'PANIC';
}
