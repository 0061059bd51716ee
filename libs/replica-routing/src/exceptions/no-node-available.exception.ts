import { ReplicaRoutingError } from './replica-routing.exception';

/** No node could serve a read: no replica has replayed the token and the primary is down. */
export class NoNodeAvailableError extends ReplicaRoutingError {
  constructor(
    readonly attempts: readonly string[],
    cause?: unknown,
  ) {
    super(
      `No database node could serve this read (tried: ${attempts.join('; ') || 'none'}). ` +
        'The primary is down and no replica has replayed the required position; retry shortly.',
      { cause },
    );
  }
}
