import { ReplicaRoutingError } from './replica-routing.exception';

/** Why a token's write is not in the current history (docs/design.md, "Failover and timelines"). */
export type WriteLostReason = 'lost' | 'unverifiable';

/**
 * A consistency token names a write on a timeline that ended before the
 * token's position: the write was on the old primary and did not reach the
 * node that was promoted (asynchronous replication). Or the timeline history
 * that could tell cannot be read. Either way no node can prove it has the
 * write, so the read is refused rather than answered without it.
 */
export class WriteLostError extends ReplicaRoutingError {
  constructor(
    readonly token: string,
    readonly reason: WriteLostReason,
    detail: string,
  ) {
    super(
      reason === 'lost'
        ? `The write behind consistency token ${token} did not survive a database failover (${detail}). Repeat the write if it still matters, then read with the new token; or read without this token.`
        : `Consistency token ${token} is from before a database failover and cannot be checked (${detail}). Read without it, or repeat the write.`,
    );
  }
}
