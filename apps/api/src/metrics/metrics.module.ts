import { Module } from '@nestjs/common';
import { PrometheusModule, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import { collectDefaultMetricsOnce } from '@app/config';
import { HTTP_DURATION } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';

/**
 * GET /metrics (the default registry: the replica-routing library's
 * `replica_routing_*` metrics, this module's HTTP durations, the process
 * metrics) and the histogram of HTTP timings (`installHttpMetrics` times
 * every request).
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
  ],
})
export class MetricsModule {
  constructor() {
    collectDefaultMetricsOnce();
  }
}
