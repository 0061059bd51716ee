import {
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ReplicaObserver } from '../observer/replica.observer';

const JOB = 'replica-routing-observer';

/** Runs the observer with the app: its ticks as an interval of Nest's SchedulerRegistry. */
@Injectable()
export class ReplicaObserverScheduler
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  constructor(
    private readonly observer: ReplicaObserver,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    return this.observer.start((tick, ms) =>
      this.scheduler.addInterval(JOB, setInterval(tick, ms)),
    );
  }

  /** Lets a tick in flight finish before the pools close. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.scheduler.doesExist('interval', JOB)) this.scheduler.deleteInterval(JOB);
    await this.observer.stop();
  }

  /** Its pools close last, with the app. */
  onApplicationShutdown(): Promise<void> {
    return this.observer.close();
  }
}
