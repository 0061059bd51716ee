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
