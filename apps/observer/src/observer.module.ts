import { Module, type DynamicModule } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { ReplicaRoutingModule } from '@app/replica-routing';
import { ObserverConfig } from './observer.config';
import { ObserverService } from './observer.service';

@Module({})
export class ObserverModule {
  static forRoot(config: ObserverConfig): DynamicModule {
    return {
      module: ObserverModule,
      imports: [
        ScheduleModule.forRoot(),
        ReplicaRoutingModule.forRoot({
          ...config.routingNodes(),
          // The observer writes the statuses; it does not route reads by them.
          statusRefreshMs: 0,
          poolSize: 2,
          connectTimeoutMs: config.OBSERVER_TIMEOUT_MS,
          statementTimeoutMs: config.OBSERVER_TIMEOUT_MS,
          applicationName: 'rocket-rides-observer',
        }),
      ],
      providers: [{ provide: ObserverConfig, useValue: config }, ObserverService],
      exports: [ObserverService],
    };
  }
}
