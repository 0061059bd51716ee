import { Module, ValidationPipe, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ReplicaRoutingModule } from '@app/replica-routing/nest';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiConfig } from './config/api.config';
import { routingOptions } from './config/routing-options.factory';
import { DashboardController } from './dashboard/dashboard.controller';
import { DashboardStateService } from './dashboard/dashboard.state';
import { HealthController } from './health/health.controller';
import { KeysController } from './keys/keys.controller';
import { KeysService } from './keys/keys.service';
import { RoutingReadinessIndicator } from './health/routing-readiness.indicator';
import { loggerModule } from './http/logger.module';
import type { LoggingConfig } from '@app/config';
import { MetricsModule } from './metrics/metrics.module';
import { HttpErrorFilter } from './http/http-error.filter';
import { RateLimitGuard } from './rate-limit/rate-limit.guard';
import { ReplicasController } from './replicas/replicas.controller';
import { RidesController } from './rides/rides.controller';
import { IdempotencyKeysReaper } from './rides/idempotency-keys.reaper';
import { RidesService } from './rides/rides.service';
import { UsersController } from './users/users.controller';
import { UsersService } from './users/users.service';

@Module({})
export class AppModule {
  static forRoot(config: ApiConfig, logging: LoggingConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // No request line for probes, scrapes and the dashboard's polling.
        loggerModule(logging, /^\/(metrics|health|dashboard\/)/),
        ReplicaRoutingModule.forRootAsync({ useFactory: () => routingOptions(config) }),
        MetricsModule,
        // A probe's 503 body says why; no error line per failed probe.
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [
        UsersController,
        KeysController,
        RidesController,
        ReplicasController,
        HealthController,
        DashboardController,
      ],
      providers: [
        RoutingReadinessIndicator,
        DashboardStateService,
        { provide: ApiConfig, useValue: config },
        UsersService,
        KeysService,
        RidesService,
        IdempotencyKeysReaper,
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        // After authentication: limits per rider need to know who it is.
        { provide: APP_GUARD, useClass: RateLimitGuard },
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
}
