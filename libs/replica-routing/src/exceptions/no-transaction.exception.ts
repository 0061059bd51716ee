import { ReplicaRoutingError } from './replica-routing.exception';

export class NoTransactionError extends ReplicaRoutingError {
  constructor(what: string) {
    super(`${what} was called outside router.write(): register it inside the write's callback.`);
  }
}
