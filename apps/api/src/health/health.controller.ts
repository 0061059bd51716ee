import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';

/** A probe's answer: `{"status": "ok", "details": {...}}`, or on 503 also `error`, the reasons. */
export type Probe = { status: 'ok'; details: HealthCheckResult['details'] };
import { Public } from '../auth/public.decorator';
import { HealthBody, HealthCheckBody } from '../http/openapi.schemas';
import { RoutingReadinessIndicator } from './routing-readiness.indicator';

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly routing: RoutingReadinessIndicator,
  ) {}

  /** Liveness of this process; says nothing about the databases (kept for old probes: use /health/live). */
  @ApiOperation({ summary: 'Liveness (kept for older probes; same as /health/live)' })
  @ApiOkResponse({ type: HealthBody })
  @Get()
  alive(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Liveness: the process answers. Never depends on a database (a restart would not help). */
  @ApiOperation({ summary: 'Liveness: the process answers HTTP' })
  @ApiOkResponse({ type: HealthCheckBody })
  @HealthCheck({ swaggerDocumentation: false })
  @Get('live')
  async live(): Promise<Probe> {
    const { details } = await this.health.check([]);
    return { status: 'ok', details };
  }

  /**
   * Readiness: 503 while the primary's breaker is open and no replica can
   * serve, or while the routing status cache is older than its bound.
   */
  @ApiOperation({ summary: 'Readiness: can this process serve reads and writes?' })
  @ApiOkResponse({ type: HealthCheckBody })
  @ApiServiceUnavailableResponse({
    type: HealthCheckBody,
    description: 'Not ready; `error` and `details` say why',
  })
  @HealthCheck({ swaggerDocumentation: false })
  @Get('ready')
  async ready(): Promise<Probe> {
    try {
      const { details } = await this.health.check([() => this.routing.check('routing')]);
      return { status: 'ok', details };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const { details } = error.getResponse() as HealthCheckResult;
      const reasons = Object.values(details).flatMap(
        (r) => (r as { reasons?: string[] }).reasons ?? [],
      );
      // The error filter sends a body with `details` as it is: the API's `error` message, and why.
      throw new ServiceUnavailableException({
        status: 'error',
        error: `not ready: ${reasons.join('; ') || 'a check is down'}`,
        details,
      });
    }
  }
}
