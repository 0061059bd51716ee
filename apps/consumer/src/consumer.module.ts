import { Module, type DynamicModule, type LogLevel } from '@nestjs/common';
import { ReplicaRoutingModule } from '@app/replica-routing/nest';
import { logProcessImports } from '@app/rides-log';
import { ConsumerHealthController } from './consumer-health.controller';
import { ConsumerConfig } from './consumer.config';
import { ConsumerService } from './consumer.service';
import { typeormAdapter } from '@app/replica-routing/typeorm';

/**
 * A consumer of the unified log (libs/rides-log): the total distance of
 * every ride, each read back on replicas through the routing library with
 * the token its event carries. GET /metrics and /health/* for operators.
 */
@Module({})
export class ConsumerModule {
  static forRoot(config: ConsumerConfig, logger?: LogLevel[] | false): DynamicModule {
    return {
      module: ConsumerModule,
      imports: [
        ...logProcessImports(config, logger),
        ReplicaRoutingModule.forRoot({
          adapter: typeormAdapter(),
          ...config.routingNodes(),
          tokenSecret: config.TOKEN_SECRET,
          replicaWaitMs: config.CONSUMER_REPLICA_WAIT_MS,
          applicationName: `rocket-rides-${config.CONSUMER_NAME}`,
        }),
      ],
      controllers: [ConsumerHealthController],
      providers: [{ provide: ConsumerConfig, useValue: config }, ConsumerService],
    };
  }
}
