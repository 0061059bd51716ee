import { ConfigurableModuleBuilder, type MiddlewareConsumer } from '@nestjs/common';

/** What `MiddlewareConsumer.exclude` takes: a path pattern, or a route with its method. */
type ExcludedRoute = Parameters<ReturnType<MiddlewareConsumer['apply']>['exclude']>[number];
import type { ReplicaRoutingOptions } from '../interfaces/replica-routing-options.interface';
import type { RoutingAdapter } from '../routing.adapter';

/** `ReplicaRoutingModule.forRoot(...)`'s options: the core's, the adapter, and the HTTP glue. */
export interface ReplicaRoutingModuleOptions extends ReplicaRoutingOptions {
  /** How works get their handle: `typeormAdapter({ entities })`, `pgAdapter()`, `kyselyAdapter()`... */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each app picks its handle type
  adapter: RoutingAdapter<any>;
  /**
   * The module mounts `ConsistencyMiddleware` on every route and
   * `ConsistencyInterceptor` app-wide, as nestjs-cls mounts its own. `exclude`
   * keeps routes out (probes, scrapes: no routing scope, no token checked);
   * `false` mounts nothing (wire them yourself). Default: `{}`.
   */
  http?: false | { exclude?: ExcludedRoute[] };
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: REPLICA_ROUTING_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<ReplicaRoutingModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: true }, (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
    }))
    .build();
