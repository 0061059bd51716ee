import { type DynamicModule, type LogLevel } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { collectDefaultMetricsOnce, pinoLevel, processLogger } from '@app/config';
import type { LogConfig } from './log.config';

/** What every log process imports: its logger, GET /metrics, and Terminus for /health/*. */
export function logProcessImports(config: LogConfig, logger?: LogLevel[] | false): DynamicModule[] {
  collectDefaultMetricsOnce();
  return [
    processLogger(logger === undefined ? config.LOG_LEVEL : pinoLevel(logger), config.LOG_FORMAT),
    PrometheusModule.register({ defaultMetrics: { enabled: false } }),
    TerminusModule.forRoot({ logger: false }),
  ];
}
