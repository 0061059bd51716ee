import type { EntityManager } from 'typeorm';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { messageOf } from '@app/config';
import { ReplicaRouter } from '@app/replica-routing';
import { ApiConfig } from '../config/api.config';

/**
 * Deletes expired idempotency keys every IDEMPOTENCY_REAP_MS (10 minutes; an
 * expired key that is reused before then is simply taken over). Skipped with
 * a warning while the primary is down.
 */
@Injectable()
export class IdempotencyKeysReaper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(IdempotencyKeysReaper.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(
    private readonly router: ReplicaRouter<EntityManager>,
    private readonly config: ApiConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.reap(), this.config.IDEMPOTENCY_REAP_MS);
    this.timer.unref();
  }

  /** The first shutdown hook: no sweep starts after it, and one under way ends before the router stops. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * One sweep: how many expired keys it deleted. A sweep already under way is
   * joined, not doubled; after the shutdown has begun, none starts (0).
   */
  reap(): Promise<number> {
    if (this.stopped) return this.running ?? Promise.resolve(0);
    this.running ??= this.sweep().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweep(): Promise<number> {
    try {
      const { result } = await this.router.write(
        (em) =>
          em.query<[unknown[], number]>(
            'DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)',
            [this.config.IDEMPOTENCY_KEY_TTL_HOURS],
          ),
        { transaction: false },
      );
      return result[1];
    } catch (error) {
      this.logger.warn(`could not delete expired idempotency keys: ${messageOf(error)}`);
      return 0;
    }
  }
}
