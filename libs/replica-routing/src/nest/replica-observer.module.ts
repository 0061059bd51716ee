import { Logger, Module } from '@nestjs/common';
import type { ReplicaObserverModuleOptions } from '../interfaces/replica-observer-options.interface';
import { setRoutingLogger } from '../logger';
import { createReplicaObserver } from '../observer/create-replica-observer';
import { ReplicaObserver } from '../observer/replica.observer';
import {
  ObserverModuleClass,
  REPLICA_OBSERVER_MODULE_OPTIONS,
} from './replica-observer.module-definition';
import { ReplicaObserverScheduler } from './replica-observer.scheduler';

/**
 * The observer in one line: `ReplicaObserverModule.forRoot({ primary, replicas })`
 * polls every node's WAL position on a schedule and writes the status table
 * that every process's router reads. Its ticks are an interval of the app's
 * `SchedulerRegistry` when the app imports `ScheduleModule.forRoot()` (a
 * second `forRoot()` here would run the app's own jobs twice), else a timer
 * of the observer's. Run it in one
 * process per cluster (its own app, as `apps/observer`, or beside an API). Its
 * pools are its own. With `hosts` it discovers the roles as the routers do and
 * follows a failover. The same observer without Nest: `createReplicaObserver`.
 */
@Module({
  providers: [
    {
      provide: ReplicaObserver,
      useFactory: (options: ReplicaObserverModuleOptions) => {
        setRoutingLogger((scope) => new Logger(scope));
        return createReplicaObserver(options);
      },
      inject: [REPLICA_OBSERVER_MODULE_OPTIONS],
    },
    ReplicaObserverScheduler,
  ],
  exports: [ReplicaObserver],
})
export class ReplicaObserverModule extends ObserverModuleClass {}
