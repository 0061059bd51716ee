import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ConsistencyTokens, findPrimary } from '@app/replica-routing';
import { leaseSession, logRedis, Streamer } from '@app/rides-log';
import type { Client } from 'pg';
import { StreamerConfig } from './streamer.config';

/** Any fixed number: the lease is `pg_try_advisory_lock(LEASE_KEY)` on the primary. */
const LEASE_KEY = 424_242;

/** Runs the library's Streamer for the app's lifetime; stops it on shutdown. */
@Injectable()
export class StreamerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Streamer');
  private readonly stop = new AbortController();
  private readonly redis;
  readonly streamer: Streamer;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(StreamerConfig) private readonly config: StreamerConfig,
    tokens: ConsistencyTokens,
  ) {
    this.redis = logRedis(config.REDIS_URL, (m) => this.logger.warn(m));
    this.streamer = new Streamer(
      () => this.connect(),
      this.redis,
      (position) => tokens.format(position),
      {
        stream: config.LOG_STREAM,
        batch: config.STREAMER_BATCH,
        pollMs: config.STREAMER_POLL_MS,
        maintenanceMs: config.STREAMER_MAINTENANCE_MS,
        retentionS: config.LOG_RETENTION_HOURS * 3600,
        leaseRetryMs: 1000,
        failRate: config.STREAMER_FAIL_RATE,
        leaseKey: LEASE_KEY,
      },
    );
  }

  onApplicationBootstrap(): void {
    this.running = this.streamer.run(this.stop.signal);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stop.abort();
    await this.running;
    this.redis.disconnect();
  }

  /** A session on the primary: the configured one, or the one among DATABASE_HOSTS that is primary now. */
  private async connect(): Promise<Client> {
    const hosts = this.config.hosts();
    const url =
      hosts.length > 0
        ? (await findPrimary(hosts, { waitMs: 5000 })).url
        : this.config.primaryUrl();
    return leaseSession(url);
  }
}
