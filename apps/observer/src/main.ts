import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { closeOnSignals, loadEnv, validateConfig } from '@app/config';
import { ObserverConfig } from './observer.config';
import { createObserver } from './observer.factory';

async function bootstrap(): Promise<void> {
  loadEnv();
  const config = validateConfig(ObserverConfig);
  const app = await createObserver(config);
  closeOnSignals(app);
  Logger.log(
    `started; metrics and health on http://${config.OBSERVER_HOST}:${config.OBSERVER_PORT}`,
    'Observer',
  );
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
