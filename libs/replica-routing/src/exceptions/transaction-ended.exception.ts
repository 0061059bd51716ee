import { ReplicaRoutingError } from './replica-routing.exception';

/**
 * The work of a `write()` ended the library's transaction itself: it sent its
 * own `COMMIT` or `ROLLBACK` (raw SQL, or an ORM's top-level commit or
 * rollback on the library's connection). What it ran before that was
 * committed or rolled back by it, and every statement after it committed on
 * its own, so the write is neither one transaction nor run again (the error is
 * commit-unknown: `afterRollback` callbacks run). A programming error: nest
 * transactions with the handle's `transaction()` (a savepoint), never end the
 * write's own.
 */
export class TransactionEndedError extends ReplicaRoutingError {
  constructor() {
    super(
      "the write's work ended its transaction itself (a COMMIT or ROLLBACK of its own): part of it may be committed, and it is not run again",
    );
  }
}
