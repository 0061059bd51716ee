import { Logger, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import type { ReplicaObserverModuleOptions } from '../interfaces/replica-observer-options.interface';
import type { ResolvedReplicaRoutingOptions as Resolved } from '../interfaces/replica-routing-options.interface';
import { setRoutingLogger } from '../logger';
import { NodeRegistry } from '../node-registry.service';
import { ReplicaStatusStore } from '../replica-status.store';
import { TopologyDiscovery } from '../topology/topology-discovery.service';
import { Topology } from '../topology/topology.service';
import {
  ObserverModuleClass,
  REPLICA_OBSERVER_MODULE_OPTIONS,
  RESOLVED_OBSERVER_OPTIONS,
  RESOLVED_OPTIONS,
} from './replica-observer.module-definition';
import { observerNodeOptions, resolveObserverOptions } from './replica-observer.options';
import { ReplicaObserver } from './replica-observer.service';
import { ReplicaProbe } from './replica-probe.service';

/**
 * The observer in one line: `ReplicaObserverModule.forRoot({ primary, replicas })`
 * polls every node's WAL position on a schedule and writes the status table
 * that every process's router reads. Run it in one process per cluster (its
 * own app, as `apps/observer`, or beside an API). Its pools are its own. With
 * `hosts` it discovers the roles as the routers do and follows a failover.
 */
@Module({
  imports: [ScheduleModule.forRoot()],
  providers: [
    {
      provide: RESOLVED_OBSERVER_OPTIONS,
      useFactory: resolveObserverOptions,
      inject: [REPLICA_OBSERVER_MODULE_OPTIONS],
    },
    {
      provide: RESOLVED_OPTIONS,
      useFactory: (options: ReplicaObserverModuleOptions) => {
        setRoutingLogger((scope) => new Logger(scope));
        return observerNodeOptions(options);
      },
      inject: [REPLICA_OBSERVER_MODULE_OPTIONS],
    },
    { provide: Topology, useFactory: (o: Resolved) => new Topology(o), inject: [RESOLVED_OPTIONS] },
    {
      provide: TopologyDiscovery,
      useFactory: (o: Resolved, t: Topology) => new TopologyDiscovery(o, t),
      inject: [RESOLVED_OPTIONS, Topology],
    },
    {
      provide: NodeRegistry,
      // Its pools are plain node-postgres pools: the observer runs no one's work.
      useFactory: (o: Resolved, t: Topology) => new NodeRegistry(o, t, {}),
      inject: [RESOLVED_OPTIONS, Topology],
    },
    {
      provide: ReplicaStatusStore,
      useFactory: (o: Resolved) => new ReplicaStatusStore(o),
      inject: [RESOLVED_OPTIONS],
    },
    ReplicaProbe,
    ReplicaObserver,
  ],
  exports: [ReplicaObserver],
})
export class ReplicaObserverModule extends ObserverModuleClass {}
