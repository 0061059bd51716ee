import {
  Module,
  ValidationPipe,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import {
  ConsistencyInterceptor,
  ConsistencyMiddleware,
  ReplicaRoutingModule,
} from '@app/replica-routing';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiConfig } from './config/api.config';
import { routingOptions } from './config/routing-options.factory';
import { HealthController } from './health/health.controller';
import { HttpErrorFilter } from './http/http-error.filter';
import { ReplicasController } from './replicas/replicas.controller';
import { RidesController } from './rides/rides.controller';
import { IdempotencyKeysReaper } from './rides/idempotency-keys.reaper';
import { RidesService } from './rides/rides.service';
import { UsersController } from './users/users.controller';
import { UsersService } from './users/users.service';

@Module({})
export class AppModule implements NestModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ReplicaRoutingModule.forRootAsync({ useFactory: () => routingOptions(config) })],
      controllers: [UsersController, RidesController, ReplicasController, HealthController],
      providers: [
        { provide: ApiConfig, useValue: config },
        UsersService,
        RidesService,
        IdempotencyKeysReaper,
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_INTERCEPTOR, useClass: ConsistencyInterceptor },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            transform: true,
            errorHttpStatusCode: 422,
            whitelist: true,
          }),
        },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ConsistencyMiddleware).forRoutes('*path');
  }
}
