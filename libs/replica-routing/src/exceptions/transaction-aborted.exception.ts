import { ReplicaRoutingError } from './replica-routing.exception';

/**
 * A statement of a `write()` failed inside its transaction and the work went
 * on (it caught the error) to return normally: Postgres had aborted the
 * transaction, so nothing of it was committed. The library rolls it back and
 * says so rather than report a commit (COMMIT would have answered ROLLBACK).
 * A programming error: catch a statement's failure in a nested `transaction()`
 * (a savepoint) instead.
 */
export class TransactionAbortedError extends ReplicaRoutingError {
  constructor() {
    super(
      'a statement of the write failed inside its transaction, which was rolled back: nothing was committed',
    );
  }
}

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
