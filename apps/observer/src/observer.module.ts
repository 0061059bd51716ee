import { Module, type DynamicModule } from '@nestjs/common';
import { ReplicaObserverModule } from '@app/replica-routing';
import { ObserverConfig } from './observer.config';

/** The observer app: the library's observer, configured from the environment. */
@Module({})
export class ObserverModule {
  static forRoot(config: ObserverConfig): DynamicModule {
    return {
      module: ObserverModule,
      imports: [
        ReplicaObserverModule.forRoot({
          ...config.routingNodes(),
          intervalMs: config.OBSERVER_INTERVAL_MS,
          timeoutMs: config.OBSERVER_TIMEOUT_MS,
          heartbeatFile: config.OBSERVER_HEARTBEAT_FILE,
          applicationName: 'rocket-rides-observer',
        }),
      ],
    };
  }
}
