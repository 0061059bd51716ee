import { setTimeout as sleep } from 'node:timers/promises';
import { monotonicMs } from '../clock';

/**
 * One run of `work` for every caller at once: a caller while it runs gets
 * that run; a run never starts sooner than `spacingMs` after the previous one
 * started (discovery and history loads, however often they are asked for).
 */
export class SpacedFlight {
  private running: Promise<void> | undefined;
  private lastStartAt = -Infinity;

  constructor(
    private readonly spacingMs: number,
    private readonly work: () => Promise<void>,
  ) {}

  /** The run in flight, if any. */
  get inFlight(): Promise<void> | undefined {
    return this.running;
  }

  run(): Promise<void> {
    return this.start(true);
  }

  /** {@link run} without waiting out the spacing: a caller that cannot wait still joins a run in flight. */
  runNow(): Promise<void> {
    return this.start(false);
  }

  private start(spaced: boolean): Promise<void> {
    this.running ??= (async () => {
      const wait = this.lastStartAt + this.spacingMs - monotonicMs();
      if (spaced && wait > 0) await sleep(wait);
      this.lastStartAt = monotonicMs();
      await this.work();
    })().finally(() => (this.running = undefined));
    return this.running;
  }
}
