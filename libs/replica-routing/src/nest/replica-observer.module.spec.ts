import { Injectable } from '@nestjs/common';
import { Interval, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { setRoutingLogger } from '../logger';
import { ReplicaObserverModule } from './replica-observer.module';

let runs = 0;
@Injectable()
class EveryFiftyMs {
  @Interval(50)
  run(): void {
    runs++;
  }
}

describe('ReplicaObserverModule beside an app’s own ScheduleModule', () => {
  beforeAll(() => {
    const quiet = () => undefined;
    setRoutingLogger(() => ({ log: quiet, warn: quiet, error: quiet }));
  });

  it('runs the app’s jobs once each, and its ticks as an interval of the app’s registry', async () => {
    const ref = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        ReplicaObserverModule.forRoot({
          primary: { url: 'postgres://127.0.0.1:1/x' },
          intervalMs: 10_000,
        }),
      ],
      providers: [EveryFiftyMs],
    }).compile();
    const app = ref.createNestApplication({ logger: false });
    await app.init();
    // One registry: a second ScheduleModule.forRoot() would register every @Interval twice.
    expect(app.get(SchedulerRegistry).getIntervals()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^replica-routing-observer/)]),
    );
    runs = 0;
    await new Promise((resolve) => setTimeout(resolve, 520));
    await app.close();
    // About 10; twice that if each job ran twice, none if the app's own jobs never ran.
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(runs).toBeLessThanOrEqual(12);
  });
});
