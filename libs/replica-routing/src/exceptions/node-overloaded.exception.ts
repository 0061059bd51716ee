import { ReplicaRoutingError } from './replica-routing.exception';

/**
 * A node is busy: this process already has as many queries on it, running and
 * waiting for a connection, as `poolSize + 100`. Thrown at once,
 * so that a traffic spike gets fast answers instead of piling up; a read goes
 * to another node, a write fails (map it to 503 with Retry-After).
 */
export class NodeOverloadedError extends ReplicaRoutingError {
  readonly code = 'RR_OVERLOADED';
  readonly retryAfterMs = 1000;

  constructor(readonly node: string) {
    super(`The database is busy (${node}'s queue in this process is full); retry in 1 s.`);
  }
}
