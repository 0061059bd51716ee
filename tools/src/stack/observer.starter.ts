import { validateConfig } from '@app/config';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { ObserverConfig } from '../../../apps/observer/src/observer.config';
import { createObserver } from '../../../apps/observer/src/observer.factory';
import type { HaEnv } from '../ha/ha.env';
import type { DatabaseEnv } from './database.env';

/**
 * The real observer (`createObserver`, as main.ts builds it) in this process,
 * configured by `dbEnv` and `settings` alone (not process.env); its HTTP side
 * (/metrics, /health/*) on a free port of 127.0.0.1 unless `settings` names one.
 * `close()` stops it.
 */
export function startObserver(
  dbEnv: DatabaseEnv | HaEnv,
  settings: Record<string, string> = {},
  logger: LogLevel[] | false = ['error'],
): Promise<INestApplication> {
  return createObserver(
    validateConfig(ObserverConfig, { OBSERVER_PORT: '0', ...dbEnv, ...settings }),
    logger,
  );
}
