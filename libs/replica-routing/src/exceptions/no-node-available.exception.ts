import { ReplicaRoutingError } from './replica-routing.exception';

/**
 * No node could serve a read: no replica has replayed the token and the
 * primary is down (or every node is busy). The message says only that, so it
 * can be shown to a client; `attempts` says what each node answered, with
 * hosts and driver errors, for the log.
 */
export class NoNodeAvailableError extends ReplicaRoutingError {
  /** How soon a retry may succeed. */
  readonly retryAfterMs = 1000;

  constructor(
    readonly attempts: readonly string[],
    cause?: unknown,
  ) {
    super(
      'No database node could serve this read: the primary is unavailable and no replica has ' +
        'replayed the required position. Retry shortly.',
      { cause },
    );
  }
}
