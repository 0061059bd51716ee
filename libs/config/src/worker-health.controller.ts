import { Controller, Get, Inject, type Type } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  type HealthIndicatorResult,
} from '@nestjs/terminus';

/** One indicator's session: `up(data)` or `down(data)`. */
export type HealthSession = ReturnType<HealthIndicatorService['check']>;

/**
 * The health routes of a worker app (observer, streamer, consumer), which
 * differ only in what "ready" means: `/health/live`, the process answers;
 * `/health/ready`, `ready` judges `source` (an injected provider) under the
 * indicator `name`. Needs `TerminusModule` in the app.
 */
export function workerHealthController<T>(
  source: Type<T>,
  name: string,
  ready: (
    source: T,
    session: HealthSession,
  ) => HealthIndicatorResult | Promise<HealthIndicatorResult>,
): Type<unknown> {
  @Controller('health')
  class WorkerHealthController {
    constructor(
      @Inject(HealthCheckService) private readonly health: HealthCheckService,
      @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
      @Inject(source) private readonly judged: T,
    ) {}

    @Get('live')
    @HealthCheck()
    live(): Promise<HealthCheckResult> {
      return this.health.check([]);
    }

    @Get('ready')
    @HealthCheck()
    ready(): Promise<HealthCheckResult> {
      return this.health.check([() => ready(this.judged, this.indicators.check(name))]);
    }
  }
  return WorkerHealthController;
}
