import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { PrometheusModule, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import { collectDefaultMetricsOnce } from '@app/config';
import { HTTP_DURATION, HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';

/**
 * GET /metrics (the default registry: the replica-routing library's
 * `replica_routing_*` metrics, this module's HTTP durations, the process
 * metrics) and the HTTP timing of every request.
 */
@Module({
  imports: [
    PrometheusModule.register({
      controller: MetricsController,
      defaultMetrics: { enabled: false },
    }),
  ],
  providers: [
    makeHistogramProvider({
      name: HTTP_DURATION,
      help: 'HTTP requests by method, route pattern and status code, in seconds',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    HttpMetricsMiddleware,
  ],
})
export class MetricsModule implements NestModule {
  constructor() {
    collectDefaultMetricsOnce();
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
