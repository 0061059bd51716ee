import { isNodeFailure, isTransient } from './db-errors.util';
import { NodeBenchedError } from './exceptions/node-state.exceptions';
import { PrimaryUnavailableError } from './exceptions/primary-unavailable.exception';
import type { NodeState } from './node-state.service';
import { PRIMARY_NODE } from './replica-routing.constants';

/** How soon a write refused for load may be retried. */
const BUSY_RETRY_MS = 1000;

/**
 * Runs one attempt on a node behind its breaker and records the outcome in
 * {@link NodeState}. The primary fails fast while its breaker is open (or its
 * half-open trial is in flight), and its failures and load surface as
 * {@link PrimaryUnavailableError}; a replica's are rethrown as they are (the
 * caller tries elsewhere). Load is no verdict on the node; an error that is
 * the query's own (a constraint, a bug) means the node answered.
 */
export async function attempt<T>(state: NodeState, name: string, fn: () => Promise<T>): Promise<T> {
  const primary = name === PRIMARY_NODE;
  if (!state.admit(name)) {
    if (primary) throw new PrimaryUnavailableError(Math.max(state.retryInMs(name), BUSY_RETRY_MS));
    throw new NodeBenchedError(name, state.whyNot(name));
  }
  try {
    const value = await fn();
    state.recordSuccess(name);
    return value;
  } catch (error) {
    if (isTransient(error)) {
      state.endTrial(name);
      if (!primary) throw error;
      throw new PrimaryUnavailableError(BUSY_RETRY_MS, error, 'the primary is busy');
    }
    if (!isNodeFailure(error)) {
      state.recordSuccess(name);
      throw error;
    }
    state.recordFailure(name, error);
    throw primary ? new PrimaryUnavailableError(state.retryInMs(name), error) : error;
  }
}
