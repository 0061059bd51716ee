import type { EntityManager } from 'typeorm';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { messageOf } from '@app/config';
import { ReplicaRouter } from '@app/replica-routing';
import { LogConsumer, logMetrics, logRedis, seqOfEntryId } from '@app/rides-log';
import { ConsumerConfig } from './consumer.config';

/**
 * Runs one LogConsumer (CONSUMER_NAME) for the app's lifetime, with a
 * summary line every CONSUMER_REPORT_EVERY_S: total, count, position, lag,
 * and where the rides it read back were served.
 */
@Injectable()
export class ConsumerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger: Logger;
  private readonly stop = new AbortController();
  private readonly redis;
  readonly consumer: LogConsumer;
  private running: Promise<void> | undefined;
  private report: NodeJS.Timeout | undefined;

  constructor(
    @Inject(ConsumerConfig) private readonly config: ConsumerConfig,
    router: ReplicaRouter<EntityManager>,
  ) {
    this.logger = new Logger(config.CONSUMER_NAME);
    // An XREAD blocks for up to CONSUMER_BLOCK_MS: only past that (and 5 s more) is Redis silent.
    this.redis = logRedis(
      config.REDIS_URL,
      (m) => this.logger.warn(m),
      config.CONSUMER_BLOCK_MS + 5000,
    );
    this.consumer = new LogConsumer(router, this.redis, {
      name: config.CONSUMER_NAME,
      stream: config.LOG_STREAM,
      batch: config.CONSUMER_BATCH,
      blockMs: config.CONSUMER_BLOCK_MS,
      failRate: config.CONSUMER_FAIL_RATE,
    });
  }

  onApplicationBootstrap(): void {
    this.running = this.consumer.run(this.stop.signal);
    this.report = setInterval(
      () => void this.summary(),
      this.config.CONSUMER_REPORT_EVERY_S * 1000,
    );
    this.report.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.report);
    this.stop.abort();
    await this.running;
    this.redis.disconnect();
  }

  private async summary(): Promise<void> {
    try {
      const state = await this.consumer.state();
      const last = await this.redis.xrevrange(this.config.LOG_STREAM, '+', '-', 'COUNT', 1);
      const top = last[0] ? seqOfEntryId(last[0][0]) : state.lastSeq;
      const lag = top > state.lastSeq ? top - state.lastSeq : 0n;
      logMetrics.consumerLag.set({ consumer: this.config.CONSUMER_NAME }, Number(lag));
      const { replica, primary } = this.consumer.readBack;
      const share =
        replica + primary > 0
          ? ` (${((100 * replica) / (replica + primary)).toFixed(1)} % on replicas)`
          : '';
      this.logger.log(
        `total ${state.totalDistance} over ${state.ridesCounted} rides, seq ${state.lastSeq}, lag ${lag}; ` +
          `read back ${replica + primary}${share}, ${this.consumer.staleReadBacks} stale; ${this.consumer.injected} injected failures` +
          (this.consumer.stopped ? `; STOPPED: ${this.consumer.stopped.message}` : ''),
      );
    } catch (error) {
      this.logger.warn(`summary: ${messageOf(error)}`);
    }
  }
}
