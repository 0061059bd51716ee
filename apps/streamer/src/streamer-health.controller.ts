import { Controller, Get } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { StreamerService } from './streamer.service';

/** /health/live: the process answers. /health/ready: active or standing by, and its loop turning. */
@Controller('health')
export class StreamerHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly service: StreamerService,
  ) {}

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => {
        const session = this.indicators.check('streamer');
        const { role, lastRoundAt } = this.service.streamer;
        const ageMs = Date.now() - lastRoundAt;
        if (role !== 'starting' && ageMs < 15_000) return session.up({ role });
        return session.down({ role, last_round_ms_ago: lastRoundAt ? ageMs : null });
      },
    ]);
  }
}
