import type { EntityManager } from 'typeorm';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ReplicaRouter } from '@app/replica-routing';
import { ApiConfig } from '../config/api.config';

const EVERY_MS = 10 * 60 * 1000;

/**
 * Deletes expired idempotency keys every 10 minutes (an expired key that is
 * reused before then is simply taken over). Skipped quietly while the primary is down.
 */
@Injectable()
export class IdempotencyKeysReaper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IdempotencyKeysReaper.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly router: ReplicaRouter<EntityManager>,
    private readonly config: ApiConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.reap(), EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async reap(): Promise<number> {
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
      this.logger.warn(
        `could not delete expired idempotency keys: ${error instanceof Error ? error.message : String(error)}`,
      );
      return 0;
    }
  }
}
