import { isNodeFailure } from './db-errors.util';
import { PrimaryUnavailableError } from './exceptions/primary-unavailable.exception';
import type { NodeState } from './node-state.service';
import { PRIMARY_NODE } from './replica-routing.constants';

/**
 * Runs one attempt on a node behind its breaker and records the outcome in
 * {@link NodeState}. The primary fails fast while its breaker is open, and
 * any failure of it surfaces as {@link PrimaryUnavailableError}; a replica's
 * failure is rethrown as is (the caller tries elsewhere). Errors that are not
 * the node's fault (a bad query) pass through and charge nothing.
 */
export async function attempt<T>(state: NodeState, name: string, fn: () => Promise<T>): Promise<T> {
  const primary = name === PRIMARY_NODE;
  if (primary && state.isBenched(name)) throw new PrimaryUnavailableError(state.retryInMs(name));
  try {
    const value = await fn();
    state.recordSuccess(name);
    return value;
  } catch (error) {
    if (!isNodeFailure(error)) throw error;
    state.recordFailure(name, error);
    throw primary ? new PrimaryUnavailableError(state.retryInMs(name), error) : error;
  }
}
