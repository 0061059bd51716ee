import { isNodeFailure, isTransient } from './db-errors.util';
import { NodeBenchedError, NotPrimaryError } from './exceptions/node-state.exceptions';
import { PrimaryUnavailableError } from './exceptions/primary-unavailable.exception';
import type { Admission } from './node-record';
import type { NodeState } from './node-state.service';
import { PRIMARY_NODE } from './replica-routing.constants';

/** How soon a write refused for load may be retried. */
export const BUSY_RETRY_MS = 1000;

/**
 * One attempt on a node behind its breaker, its outcome recorded in
 * {@link NodeState}: {@link admitAttempt} before it, `state.recordSuccess`
 * after it succeeds, {@link attemptFailed} when it fails ({@link attempt}
 * does all three around a function). The primary fails fast while its
 * breaker is open (or its half-open trial is in flight), and its failures
 * and load surface as {@link PrimaryUnavailableError}; a replica's are
 * rethrown as they are (the caller tries elsewhere). Load is no verdict on
 * the node; an error that is the query's own (a constraint, a bug) means the
 * node answered.
 */
export async function attempt<T>(state: NodeState, name: string, fn: () => Promise<T>): Promise<T> {
  const admitted = admitAttempt(state, name);
  try {
    const value = await fn();
    state.recordSuccess(name, admitted);
    return value;
  } catch (error) {
    throw attemptFailed(state, name, error, admitted);
  }
}

/** Takes the node's breaker's admission, or throws what its caller should. */
export function admitAttempt(state: NodeState, name: string): Admission {
  const admitted = state.admit(name);
  if (admitted !== null) return admitted;
  if (name === PRIMARY_NODE)
    throw new PrimaryUnavailableError(Math.max(state.retryInMs(name), BUSY_RETRY_MS));
  throw new NodeBenchedError(name, state.whyNot(name));
}

/**
 * Records an admitted attempt's failure and returns the error to throw. One
 * on a host the name has left since (the old primary, after a failover) is
 * still thrown, but charges nothing to the host the name holds now.
 */
export function attemptFailed(
  state: NodeState,
  name: string,
  error: unknown,
  admitted: Admission,
): unknown {
  const primary = name === PRIMARY_NODE;
  if (isTransient(error)) {
    state.endTrial(name, admitted);
    return primary
      ? new PrimaryUnavailableError(BUSY_RETRY_MS, error, 'the primary is busy')
      : error;
  }
  // The node bound as primary showed it is in recovery (a demoted one behind a static URL): a
  // failure, though Postgres gives a work's own read-only refusal the same SQLSTATE, 25006.
  if (!isNodeFailure(error) && !(primary && error instanceof NotPrimaryError)) {
    state.recordSuccess(name, admitted);
    return error;
  }
  state.recordFailure(name, error, admitted);
  // Not benched (the name moved on since it was admitted): retry shortly, not "in 0 s".
  const retryMs = Math.max(state.retryInMs(name), BUSY_RETRY_MS);
  return primary ? new PrimaryUnavailableError(retryMs, error) : error;
}
