import {
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ReplicaObserver } from '../observer/replica.observer';

/** Observers scheduled so far in this process: each one's job has a name of its own. */
let scheduled = 0;

/**
 * Runs the observer with the app: its ticks as an interval of the app's
 * `SchedulerRegistry` (`ScheduleModule.forRoot()`), else on its own timer.
 */
@Injectable()
export class ReplicaObserverScheduler
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly job = `replica-routing-observer${++scheduled > 1 ? `-${scheduled}` : ''}`;
  private scheduler: SchedulerRegistry | undefined;

  constructor(
    private readonly observer: ReplicaObserver,
    private readonly modules: ModuleRef,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    this.scheduler = this.registry();
    const scheduler = this.scheduler;
    if (!scheduler) return this.observer.start();
    return this.observer.start((tick, ms) =>
      scheduler.addInterval(this.job, setInterval(tick, ms)),
    );
  }

  /** Lets a tick in flight finish before the pools close. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.scheduler?.doesExist('interval', this.job)) this.scheduler.deleteInterval(this.job);
    await this.observer.stop();
  }

  /** The app's registry, if it imports `ScheduleModule.forRoot()`. */
  private registry(): SchedulerRegistry | undefined {
    try {
      return this.modules.get(SchedulerRegistry, { strict: false });
    } catch {
      return undefined;
    }
  }

  /** Its pools close last, with the app. */
  onApplicationShutdown(): Promise<void> {
    return this.observer.close();
  }
}
