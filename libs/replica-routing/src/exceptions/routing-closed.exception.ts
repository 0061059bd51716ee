import { ReplicaRoutingError } from './replica-routing.exception';

/**
 * The routing core is shutting down: `stop()` or `close()` was called, and
 * this call came in meanwhile (a request still in flight while the process
 * exits). Nothing was run. Map it to 503 with Retry-After: another instance
 * can serve it.
 */
export class RoutingClosedError extends ReplicaRoutingError {
  readonly retryAfterMs = 1000;

  constructor(detail: string, options?: { cause?: unknown }) {
    super(
      `The database routing of this process is shutting down (${detail}); retry in 1 s.`,
      options,
    );
  }
}
