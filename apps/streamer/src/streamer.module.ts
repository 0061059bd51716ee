import { Module, type DynamicModule, type LogLevel } from '@nestjs/common';
import { ReplicaRoutingModule } from '@app/replica-routing/nest';
import { logProcessImports } from '@app/rides-log';
import { StreamerHealthController } from './streamer-health.controller';
import { StreamerConfig } from './streamer.config';
import { StreamerService } from './streamer.service';
import { typeormAdapter } from '@app/replica-routing/typeorm';

/**
 * The streamer app: moves committed outbox events into the Redis stream
 * (libs/rides-log), with GET /metrics and /health/* for operators. The
 * routing module only signs tokens here (the streamer's own session to the
 * primary holds the lease).
 */
@Module({})
export class StreamerModule {
  static forRoot(config: StreamerConfig, logger?: LogLevel[] | false): DynamicModule {
    return {
      module: StreamerModule,
      imports: [
        ...logProcessImports(config, logger),
        ReplicaRoutingModule.forRoot({
          adapter: typeormAdapter(),
          ...config.routingNodes(),
          tokenSecret: config.TOKEN_SECRET,
          statusRefreshMs: 0,
          applicationName: 'rocket-rides-streamer',
        }),
      ],
      controllers: [StreamerHealthController],
      providers: [{ provide: StreamerConfig, useValue: config }, StreamerService],
    };
  }
}
