import { ReplicaRoutingError } from './replica-routing.exception';

/**
 * The primary cannot take writes (or a read that only it can serve) right now.
 * Thrown at once while the circuit breaker is open, so callers never wait for a TCP timeout.
 */
export class PrimaryUnavailableError extends ReplicaRoutingError {
  constructor(
    readonly retryAfterMs: number,
    cause?: unknown,
    detail = 'the primary database is unavailable',
  ) {
    super(`${detail}; retry in ${Math.ceil(retryAfterMs / 1000)} s`, { cause });
  }
}
