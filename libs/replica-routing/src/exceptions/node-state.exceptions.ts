import { ReplicaRoutingError } from './replica-routing.exception';

/**
 * Errors about one node that a caller never sees on their own: the router
 * tries elsewhere, or wraps them (`NoNodeAvailableError`,
 * `PrimaryUnavailableError`). Each carries the code the failure
 * classification reads (db-errors.util.ts): a SQLSTATE where Postgres has one.
 */

/** A replica whose breaker is open, or half-open with its one trial in flight. */
export class NodeBenchedError extends ReplicaRoutingError {
  readonly code = 'RR_BENCHED';

  constructor(
    readonly node: string,
    why: string | null,
  ) {
    super(`${node} is benched: ${why ?? 'breaker open'}`);
  }
}

/** The node bound as primary is in recovery: a standby now (SQLSTATE 25006, as Postgres says of a write there). */
export class NotPrimaryError extends ReplicaRoutingError {
  readonly code = '25006';

  constructor() {
    super('the node bound as primary is in recovery (a standby now)');
  }
}

/**
 * No host holds this role now (no primary during an election, or a replica
 * that left the rotation): a connection failure for the caller (SQLSTATE
 * 08001), so that the primary's breaker and a writer's wait for a new primary apply.
 */
export class NoSuchRoleError extends ReplicaRoutingError {
  readonly code = '08001';

  constructor(readonly node: string) {
    super(node === 'primary' ? 'no primary is known now' : `${node} is not a replica now`);
  }
}
