import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { NodeRegistry } from '../node-registry.service';
import { RESOLVED_OPTIONS } from '../replica-routing.constants';
import { ReplicaStatusStore } from '../replica-status.store';
import { TopologyDiscovery } from '../topology/topology-discovery.service';
import { Topology } from '../topology/topology.service';
import {
  ObserverModuleClass,
  REPLICA_OBSERVER_MODULE_OPTIONS,
  RESOLVED_OBSERVER_OPTIONS,
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
      useFactory: observerNodeOptions,
      inject: [REPLICA_OBSERVER_MODULE_OPTIONS],
    },
    Topology,
    TopologyDiscovery,
    NodeRegistry,
    ReplicaStatusStore,
    ReplicaProbe,
    ReplicaObserver,
  ],
  exports: [ReplicaObserver],
})
export class ReplicaObserverModule extends ObserverModuleClass {}
