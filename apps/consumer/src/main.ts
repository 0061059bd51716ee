import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { closeOnSignals, loadEnv, ShutdownConfig, validateConfig } from '@app/config';
import { ConsumerConfig } from './consumer.config';
import { ConsumerModule } from './consumer.module';

async function bootstrap(): Promise<void> {
  loadEnv();
  const config = validateConfig(ConsumerConfig);
  // Every setting is checked before anything connects, the shutdown's too.
  const shutdown = validateConfig(ShutdownConfig);
  const app = await NestFactory.create(ConsumerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  closeOnSignals(app, shutdown);
  await app.listen(config.CONSUMER_PORT, config.LOG_HTTP_HOST);
  app
    .get(Logger)
    .log(
      `started; stream ${config.LOG_STREAM}; metrics and health on http://${config.LOG_HTTP_HOST}:${config.CONSUMER_PORT}`,
      config.CONSUMER_NAME,
    );
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
