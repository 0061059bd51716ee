import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import type { ApiConfig } from './config/api.config';
import { installBodyParsers, installClientErrorHandler } from './http/body-parsers';

/** Builds the API application (used by main.ts and by the e2e tests, so that both run the same app). */
export async function createApi(
  config: ApiConfig,
  logger: LogLevel[] | false = ['log', 'warn', 'error'],
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger,
  });
  app.disable('x-powered-by');
  installBodyParsers(app.getHttpAdapter().getInstance(), config.BODY_LIMIT);
  installClientErrorHandler(app.getHttpServer());
  app.enableShutdownHooks();
  return app;
}
