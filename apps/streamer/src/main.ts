import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { closeOnSignals, loadEnv, ShutdownConfig, validateConfig } from '@app/config';
import { StreamerConfig } from './streamer.config';
import { StreamerModule } from './streamer.module';

async function bootstrap(): Promise<void> {
  loadEnv();
  const config = validateConfig(StreamerConfig);
  // Every setting is checked before anything connects, the shutdown's too.
  const shutdown = validateConfig(ShutdownConfig);
  const app = await NestFactory.create(StreamerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  closeOnSignals(app, shutdown);
  await app.listen(config.STREAMER_PORT, config.LOG_HTTP_HOST);
  app
    .get(Logger)
    .log(
      `started; stream ${config.LOG_STREAM} on ${config.REDIS_URL.replace(/:[^:@/]*@/, ':***@')}; ` +
        `metrics and health on http://${config.LOG_HTTP_HOST}:${config.STREAMER_PORT}`,
      'Streamer',
    );
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
