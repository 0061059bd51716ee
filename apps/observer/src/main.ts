import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { closeOnSignals, loadEnv, ShutdownConfig, validateConfig } from '@app/config';
import { ObserverConfig } from './observer.config';
import { createObserver } from './observer.factory';

async function bootstrap(): Promise<void> {
  loadEnv();
  const config = validateConfig(ObserverConfig);
  // Every setting is checked before anything connects, the shutdown's too.
  const shutdown = validateConfig(ShutdownConfig);
  const app = await createObserver(config);
  closeOnSignals(app, shutdown);
  Logger.log(
    `started; metrics and health on http://${config.OBSERVER_HOST}:${config.OBSERVER_PORT}`,
    'Observer',
  );
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
