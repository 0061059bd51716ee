import { Controller, Get } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { stat } from 'node:fs/promises';
import { ObserverConfig } from './observer.config';

/**
 * /health/live: the process answers. /health/ready: a tick was saved lately
 * (the heartbeat file is younger than 10 intervals, at least 5 s).
 */
@Controller('health')
export class ObserverHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly config: ObserverConfig,
  ) {}

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.ticks()]);
  }

  private async ticks() {
    const session = this.indicators.check('ticks');
    const file = this.config.OBSERVER_HEARTBEAT_FILE;
    if (!file) return session.up({ note: 'no OBSERVER_HEARTBEAT_FILE: tick age not checked' });
    const boundMs = Math.max(5000, 10 * this.config.OBSERVER_INTERVAL_MS);
    const ageMs = await stat(file).then(
      (s) => Date.now() - s.mtimeMs,
      () => null,
    );
    if (ageMs !== null && ageMs < boundMs)
      return session.up({ last_saved_ms_ago: Math.round(ageMs) });
    return session.down({
      reason: ageMs === null ? 'no tick saved yet' : `last tick saved ${Math.round(ageMs)} ms ago`,
    });
  }
}
