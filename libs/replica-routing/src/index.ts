// The core: no Nest, no ORM. Adapters and glue live in their subpaths (`/typeorm`, `/kysely`,
// `/drizzle`, `/pg`, `/nest`, `/express`, `/fastify`); docs/api.md lists them all.
export { createReplicaRouting, type ReplicaRouting } from './replica-routing';
export { createReplicaObserver } from './observer/create-replica-observer';
export { ReplicaObserver } from './observer/replica.observer';
export { replicaStatusesSql } from './replica-status.table';
export type { RoutingAdapter, BindContext, SavepointHooks } from './routing.adapter';
export { ReplicaRouter } from './replica-router.service';
export { ConsistencyTokens, type ParsedToken } from './consistency-tokens.service';
export { ReplicaStatusView, type NodeStatus, type Readiness } from './replica-status.view';
export type { QueryCount } from './query-count';
export { setRoutingLogger, type RoutingLogger, type RoutingLoggerFactory } from './logger';
export { routingMetrics, type ReadOutcome, type WriteOutcome } from './metrics/routing.metrics';
export { ReplicaRoutingError } from './exceptions/replica-routing.exception';
export {
  InvalidConsistencyTokenError,
  type TokenRejection,
} from './exceptions/invalid-consistency-token.exception';
export { PrimaryUnavailableError } from './exceptions/primary-unavailable.exception';
export { NoNodeAvailableError } from './exceptions/no-node-available.exception';
export { NodeOverloadedError } from './exceptions/node-overloaded.exception';
export { RoutingClosedError } from './exceptions/routing-closed.exception';
export { NoTransactionError } from './exceptions/no-transaction.exception';
export { TransactionAbortedError } from './exceptions/transaction-aborted.exception';
export { TransactionEndedError } from './exceptions/transaction-ended.exception';
export { WriteLostError, type WriteLostReason } from './exceptions/write-lost.exception';
export { findPrimary } from './topology/host-probe';
export type { Position } from './position';
export { parseLsn, formatLsn, maxLsn, toLsn, type Lsn } from './lsn.util';
export {
  PRIMARY_NODE,
  CONSISTENCY_TOKEN_HEADER,
  CONSISTENCY_TOKEN_PATTERN,
  SERVED_BY_HEADER,
} from './replica-routing.constants';
export type {
  ReplicaRoutingOptions,
  ReplicaNodeOptions,
  NodeConnectionOptions,
  TokenlessReadPolicy,
} from './interfaces/replica-routing-options.interface';
export type { ReplicaObserverModuleOptions } from './interfaces/replica-observer-options.interface';
export type { ReplicaStatusRow } from './interfaces/replica-status.interface';
export type {
  Routed,
  Work,
  ReadOptions,
  WriteOptions,
  ScopeOptions,
  ScopeResult,
  TokenInput,
} from './interfaces/routed.interface';
