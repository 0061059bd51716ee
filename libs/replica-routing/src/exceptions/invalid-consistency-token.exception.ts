import { ReplicaRoutingError } from './replica-routing.exception';

/** A consistency token that is not a WAL position, or one the primary has not reached. */
export class InvalidConsistencyTokenError extends ReplicaRoutingError {
  constructor(
    readonly token: string,
    reason = 'expected a WAL position such as "0/16B3748" (hex/hex, at most 17 characters)',
  ) {
    super(
      `Invalid consistency token ${JSON.stringify(token.slice(0, 40))}: ${reason}. Send back the Consistency-Token of an earlier response, or omit it.`,
    );
  }
}
