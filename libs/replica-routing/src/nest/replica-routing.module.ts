import {
  Inject,
  Injectable,
  Logger,
  Module,
  type BeforeApplicationShutdown,
  type MiddlewareConsumer,
  type NestModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ConsistencyTokens } from '../consistency-tokens.service';
import { setRoutingLogger } from '../logger';
import { NodeExecutor } from '../node-executor.service';
import { NodeRegistry } from '../node-registry.service';
import { NodeState } from '../node-state.service';
import { ReplicaRouter } from '../replica-router.service';
import { createRoutingParts, type RoutingParts } from '../replica-routing';
import { ReplicaStatusView } from '../replica-status.view';
import { RoutingContext } from '../routing-context.service';
import { StatusRefresher } from '../status-refresher.service';
import { TopologyDiscovery } from '../topology/topology-discovery.service';
import { Topology } from '../topology/topology.service';
import { ConsistencyInterceptor } from './consistency.interceptor';
import { ConsistencyMiddleware } from './consistency.middleware';
import {
  ConfigurableModuleClass,
  REPLICA_ROUTING_MODULE_OPTIONS,
  type ReplicaRoutingModuleOptions,
} from './replica-routing.module-definition';

/** The core's parts (`RoutingParts`); internal: the library's tests reach it. */
export const ROUTING = Symbol('REPLICA_ROUTING');

/** Starts the core with the app and closes it with the app (timers first, pools last). */
@Injectable()
class RoutingLifecycle
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  constructor(@Inject(ROUTING) private readonly routing: RoutingParts<unknown>) {}

  onApplicationBootstrap(): Promise<void> {
    return this.routing.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.routing.stop();
  }

  onApplicationShutdown(): Promise<void> {
    return this.routing.close();
  }
}

const part = <T>(
  provide: abstract new (...args: never[]) => T,
  pick: (r: RoutingParts<unknown>) => T,
) => ({
  provide,
  useFactory: pick,
  inject: [ROUTING],
});

/**
 * `ReplicaRoutingModule.forRoot({ adapter: typeormAdapter({ entities }), primary,
 * replicas, ... })`, `forRoot({ adapter, hosts, patroniUrls, ... })` (roles
 * discovered), or `forRootAsync(...)`: the routing core (see
 * `createReplicaRouting`) as providers, with its HTTP glue mounted. The
 * observer that feeds it is `ReplicaObserverModule`, mounted in one process
 * per cluster. Global by default (`isGlobal: false` to opt out).
 */
@Module({
  providers: [
    {
      provide: ROUTING,
      useFactory: (options: ReplicaRoutingModuleOptions) => {
        setRoutingLogger((scope) => new Logger(scope));
        return createRoutingParts(options, options.adapter);
      },
      inject: [REPLICA_ROUTING_MODULE_OPTIONS],
    },
    RoutingLifecycle,
    part(ReplicaRouter, (r) => r.router),
    part(ConsistencyTokens, (r) => r.tokens),
    part(RoutingContext, (r) => r.context),
    part(ReplicaStatusView, (r) => r.status),
    // Internal parts, not exported: reachable for the library's own tests only.
    part(Topology, (r) => r.topology),
    part(NodeRegistry, (r) => r.registry),
    part(TopologyDiscovery, (r) => r.discovery),
    part(NodeState, (r) => r.state),
    part(StatusRefresher, (r) => r.refresher),
    part(NodeExecutor, (r) => r.executor),
    ConsistencyMiddleware,
    ConsistencyInterceptor,
    // A request without a routing scope (http: false, or an excluded route) passes through untouched.
    { provide: APP_INTERCEPTOR, useExisting: ConsistencyInterceptor },
  ],
  exports: [
    ReplicaRouter,
    ConsistencyTokens,
    RoutingContext,
    ReplicaStatusView,
    ConsistencyMiddleware,
    ConsistencyInterceptor,
  ],
})
export class ReplicaRoutingModule extends ConfigurableModuleClass implements NestModule {
  constructor(
    @Inject(REPLICA_ROUTING_MODULE_OPTIONS) private readonly options: ReplicaRoutingModuleOptions,
  ) {
    super();
  }

  configure(consumer: MiddlewareConsumer): void {
    const http = this.options.http ?? {};
    if (http === false) return;
    consumer
      .apply(ConsistencyMiddleware)
      .exclude(...(http.exclude ?? []))
      .forRoutes('{*path}');
  }
}
