import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import type { ObserverConfig } from './observer.config';
import { ObserverModule } from './observer.module';

/**
 * Builds the observer and starts it, listening on OBSERVER_HOST:OBSERVER_PORT
 * (port 0: any free one). Used by main.ts and by the dev tools, so that both
 * run the same app. `logger`: Nest's level list for in-process use; without
 * it, LOG_LEVEL and LOG_FORMAT apply.
 */
export async function createObserver(
  config: ObserverConfig,
  logger?: LogLevel[] | false,
): Promise<INestApplication> {
  const app = await NestFactory.create(ObserverModule.forRoot(config, logger), {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  await app.listen(config.OBSERVER_PORT, config.OBSERVER_HOST);
  return app;
}
