import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadEnv, validateConfig } from '@app/config';
import { ObserverConfig } from './observer.config';
import { ObserverModule } from './observer.module';

async function bootstrap(): Promise<void> {
  loadEnv();
  const config = validateConfig(ObserverConfig);
  const app = await NestFactory.createApplicationContext(ObserverModule.forRoot(config), {
    logger: ['log', 'warn', 'error'],
  });
  app.enableShutdownHooks();
  Logger.log('started', 'Observer');
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
