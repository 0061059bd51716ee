export { ReplicaRoutingModule } from './replica-routing.module';
export { ReplicaRouter } from './replica-router.service';
export { ConsistencyTokens, type ParsedToken } from './consistency-tokens.service';
export { RoutingContext, RoutingScope } from './routing-context.service';
export { NodeRegistry } from './node-registry.service';
export type { QueryCount } from './query-counter.logger';
export { ReplicaStatusView, type NodeStatus, type Readiness } from './replica-status.view';
export { routingMetrics, type ReadOutcome, type WriteOutcome } from './metrics/routing.metrics';
export { ReplicaObserverModule } from './observer/replica-observer.module';
export { ReplicaObserver } from './observer/replica-observer.service';
export { ConsistencyMiddleware } from './http/consistency.middleware';
export { ConsistencyInterceptor } from './http/consistency.interceptor';
export { UsePrimary } from './decorators/use-primary.decorator';
export {
  AddReplicaStatusLagSeconds1732000000010,
  CreateReplicaStatuses1732000000000,
  replicaStatusesLagSecondsMigration,
  replicaStatusesMigration,
  replicaStatusesMigrations,
} from './migrations/create-replica-statuses.migration';
export { ReplicaRoutingError } from './exceptions/replica-routing.exception';
export {
  InvalidConsistencyTokenError,
  type TokenRejection,
} from './exceptions/invalid-consistency-token.exception';
export { PrimaryUnavailableError } from './exceptions/primary-unavailable.exception';
export { NoNodeAvailableError } from './exceptions/no-node-available.exception';
export { NodeOverloadedError } from './exceptions/node-overloaded.exception';
export { NoTransactionError } from './exceptions/no-transaction.exception';
export { WriteLostError, type WriteLostReason } from './exceptions/write-lost.exception';
export { Topology } from './topology/topology.service';
export { findPrimary } from './topology/host-probe';
export type { Position } from './topology/timeline-history';
export { parseLsn, formatLsn, maxLsn, toLsn, type Lsn } from './lsn.util';
export {
  PRIMARY_NODE,
  CONSISTENCY_TOKEN_HEADER,
  CONSISTENCY_TOKEN_PATTERN,
  SERVED_BY_HEADER,
} from './replica-routing.constants';
export type {
  ReplicaRoutingModuleOptions,
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
