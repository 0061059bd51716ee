import type { INestApplicationContext, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { ObserverConfig } from './observer.config';
import { ObserverModule } from './observer.module';

/** Builds the observer (used by main.ts and by the dev tools, so that both run the same app). */
export function createObserver(
  config: ObserverConfig,
  logger: LogLevel[] | false = ['log', 'warn', 'error'],
): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(ObserverModule.forRoot(config), { logger });
}
