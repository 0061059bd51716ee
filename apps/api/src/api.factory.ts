import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { ApiConfig } from './config/api.config';
import { installBodyParsers, installClientErrorHandler } from './http/body-parsers';
import { installHttpDrain } from './http/http.drain';
import { installLoadShedding } from './http/load-shedding';
import { loggingSettings } from './http/logger.module';
import type { LoggingConfig } from '@app/config';
import { installOpenApi } from './http/openapi';
import { installHttpMetrics } from './metrics/http-metrics.middleware';

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
  installHttpDrain(app);
  installHttpMetrics(app);
  // Bodies first: a client still uploading one holds no place among the requests in flight
  // (64 slow uploads would otherwise shed everyone else for as long as they last).
  installBodyParsers(app.getHttpAdapter().getInstance(), config.BODY_LIMIT);
  installLoadShedding(app.getHttpAdapter().getInstance(), app.getHttpServer(), {
    maxInFlight: config.API_MAX_IN_FLIGHT,
    maxQueued: config.API_MAX_QUEUED,
    maxWaitMs: config.API_QUEUE_WAIT_MS,
  });
  installClientErrorHandler(app.getHttpServer());
  installOpenApi(app);
  return app;
}

/**
 * The kernel's queue of connections the process has not accepted yet. Node's
 * default (511) overflows when thousands of clients connect at once, and a
 * connection dropped from it waits for TCP retransmits, seconds with no
 * answer at all. Linux caps it at net.core.somaxconn (4096 by default).
 */
const LISTEN_BACKLOG = 4096;

/** `app.listen(port, host)` with a listen backlog of {@link LISTEN_BACKLOG}. */
export async function listenApi(
  app: NestExpressApplication,
  port: number,
  host: string,
): Promise<void> {
  // Nest passes its arguments on to http.Server#listen(port, host, backlog, callback).
  const listen = app.listen.bind(app) as (...args: unknown[]) => Promise<unknown>;
  await listen(port, host, LISTEN_BACKLOG);
}
