import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { ApiConfig } from './config/api.config';
import { installBodyParsers, installClientErrorHandler } from './http/body-parsers';
import { installLoadShedding } from './http/load-shedding';
import { loggingSettings } from './http/logger.module';
import type { LoggingConfig } from '@app/config';
import { installOpenApi } from './http/openapi';

/**
 * Builds the API application (used by main.ts and by the e2e tests, so that both run the same app).
 * `logging`: the validated LOG_* settings, or Nest's level list (in-process apps: JSON at that level).
 */
export async function createApi(
  config: ApiConfig,
  logging: LogLevel[] | false | LoggingConfig = ['log', 'warn', 'error'],
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, loggingSettings(logging)),
    { bodyParser: false, bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  installLoadShedding(app.getHttpAdapter().getInstance(), config.API_MAX_IN_FLIGHT);
  installBodyParsers(app.getHttpAdapter().getInstance(), config.BODY_LIMIT);
  installClientErrorHandler(app.getHttpServer());
  installOpenApi(app);
  app.enableShutdownHooks();
  return app;
}
