import { Module } from '@nestjs/common';
import { ClientTokenGate } from './client-token.gate';
import { ConsistencyTokens } from './consistency-tokens.service';
import { ConsistencyInterceptor } from './http/consistency.interceptor';
import { ConsistencyMiddleware } from './http/consistency.middleware';
import { NodeExecutor } from './node-executor.service';
import { NodeRegistry } from './node-registry.service';
import { NodeState } from './node-state.service';
import { ReplicaRouter } from './replica-router.service';
import {
  ConfigurableModuleClass,
  REPLICA_ROUTING_MODULE_OPTIONS,
} from './replica-routing.module-definition';
import { RESOLVED_OPTIONS } from './replica-routing.constants';
import { resolveOptions } from './replica-routing.options';
import { ReplicaSelector } from './replica-selector.service';
import { ReplicaStatusStore } from './replica-status.store';
import { ReplicaStatusView } from './replica-status.view';
import { RoutingContext } from './routing-context.service';
import { StatusRefresher } from './status-refresher.service';
import { TopologyDiscovery } from './topology/topology-discovery.service';
import { Topology } from './topology/topology.service';

const exported = [
  ReplicaRouter,
  ConsistencyTokens,
  RoutingContext,
  NodeRegistry,
  ReplicaStatusView,
  Topology,
  ConsistencyMiddleware,
  ConsistencyInterceptor,
];

/**
 * `ReplicaRoutingModule.forRoot({ primary, replicas, ... })`, `forRoot({ hosts,
 * patroniUrls, ... })` (roles discovered), or `forRootAsync(...)`:
 * the router and what it needs. The observer that feeds it is
 * `ReplicaObserverModule`, mounted in one process per cluster.
 * Global by default (`isGlobal: false` to opt out).
 */
@Module({
  providers: [
    {
      provide: RESOLVED_OPTIONS,
      useFactory: resolveOptions,
      inject: [REPLICA_ROUTING_MODULE_OPTIONS],
    },
    TopologyDiscovery,
    NodeState,
    ReplicaStatusStore,
    StatusRefresher,
    ReplicaSelector,
    NodeExecutor,
    ClientTokenGate,
    ...exported,
  ],
  exports: exported,
})
export class ReplicaRoutingModule extends ConfigurableModuleClass {}
