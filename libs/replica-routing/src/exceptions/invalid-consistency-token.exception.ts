import { ReplicaRoutingError } from './replica-routing.exception';

/** Every reason a client's token can be refused (the `reason` label of `replica_routing_token_rejected_total`). */
export const TOKEN_REJECTIONS = ['malformed', 'bad_signature', 'ahead_of_primary'] as const;

/** Why a client's token was refused. */
export type TokenRejection = (typeof TOKEN_REJECTIONS)[number];

const MALFORMED =
  'expected a Consistency-Token of an earlier response, such as "1:0/16B3748" or "1:0/16B3748.<signature>"';

/** A consistency token that is not one, whose signature does not match, or one the primary has not reached. */
export class InvalidConsistencyTokenError extends ReplicaRoutingError {
  constructor(
    readonly token: string,
    reason = MALFORMED,
    readonly rejection: TokenRejection = 'malformed',
  ) {
    super(
      `Invalid consistency token ${JSON.stringify(token.slice(0, 48))}: ${reason}. Send back the Consistency-Token of an earlier response, or omit it.`,
    );
  }
}
