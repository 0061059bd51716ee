import { validateConfig } from '@app/config';
import type { INestApplicationContext, LogLevel } from '@nestjs/common';
import { ObserverConfig } from '../../../apps/observer/src/observer.config';
import { createObserver } from '../../../apps/observer/src/observer.factory';
import type { DatabaseEnv } from './database.env';

/**
 * The real observer (`createObserver`, as main.ts builds it) in this process,
 * configured by `dbEnv` and `settings` alone (not process.env). `close()` stops it.
 */
export function startObserver(
  dbEnv: DatabaseEnv,
  settings: Record<string, string> = {},
  logger: LogLevel[] | false = ['error'],
): Promise<INestApplicationContext> {
  return createObserver(validateConfig(ObserverConfig, { ...dbEnv, ...settings }), logger);
}
