import { Module, type DynamicModule, type LogLevel } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { ReplicaObserverModule } from '@app/replica-routing/nest';
import { ObserverHealthController } from './observer-health.controller';
import { ObserverConfig } from './observer.config';
import { collectDefaultMetricsOnce, pinoLevel, processLogger } from '@app/config';

/**
 * The observer app: the library's observer, configured from the environment,
 * and HTTP for operators: GET /metrics (the library's `replica_routing_*`
 * metrics and the process metrics) and GET /health/live, /health/ready.
 */
@Module({})
export class ObserverModule {
  static forRoot(config: ObserverConfig, logger?: LogLevel[] | false): DynamicModule {
    collectDefaultMetricsOnce();
    return {
      module: ObserverModule,
      imports: [
        processLogger(
          logger === undefined ? config.LOG_LEVEL : pinoLevel(logger),
          config.LOG_FORMAT,
        ),
        PrometheusModule.register({ defaultMetrics: { enabled: false } }),
        TerminusModule.forRoot({ logger: false }),
        // The observer's ticks run as an interval of this registry.
        ScheduleModule.forRoot(),
        ReplicaObserverModule.forRoot({
          ...config.routingNodes(),
          intervalMs: config.OBSERVER_INTERVAL_MS,
          timeoutMs: config.OBSERVER_TIMEOUT_MS,
          heartbeatFile: config.OBSERVER_HEARTBEAT_FILE,
          applicationName: 'rocket-rides-observer',
        }),
      ],
      controllers: [ObserverHealthController],
      providers: [{ provide: ObserverConfig, useValue: config }],
    };
  }
}
