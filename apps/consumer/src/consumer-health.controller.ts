import { Controller, Get } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { ConsumerService } from './consumer.service';

/** /health/live: the process answers. /health/ready: its loop turns, and no gap stopped it. */
@Controller('health')
export class ConsumerHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly service: ConsumerService,
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
        const session = this.indicators.check('consumer');
        const { stopped, lastRoundAt } = this.service.consumer;
        if (stopped) return session.down({ stopped: stopped.message });
        const ageMs = Date.now() - lastRoundAt;
        if (lastRoundAt > 0 && ageMs < 15_000) return session.up({ last_round_ms_ago: ageMs });
        return session.down({ last_round_ms_ago: lastRoundAt ? ageMs : null });
      },
    ]);
  }
}
