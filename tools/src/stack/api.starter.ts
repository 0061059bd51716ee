import { validateConfig } from '@app/config';
import type { LogLevel } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { createApi, listenApi } from '../../../apps/api/src/api.factory';
import { ApiConfig } from '../../../apps/api/src/config/api.config';
import type { HaEnv } from '../ha/ha.env';
import type { DatabaseEnv } from './database.env';

/** Tests, bench and chaos drive load from one address with few keys: no limits unless asked. */
const NO_RATE_LIMITS = { RATE_LIMIT_KEY_RPS: '0', RATE_LIMIT_SIGNUP_PER_MIN: '0' };

export interface InProcessApi {
  app: NestExpressApplication;
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/**
 * The real API (`createApi`, as main.ts builds it) in this process on a free
 * port of 127.0.0.1 (or `port`, to restart an API where its clients expect it),
 * configured by `dbEnv` and `settings` alone (not process.env).
 */
export async function startApi(
  dbEnv: DatabaseEnv | HaEnv,
  settings: Record<string, string> = {},
  logger: LogLevel[] | false = ['error'],
  port = 0,
): Promise<InProcessApi> {
  const app = await createApi(
    validateConfig(ApiConfig, { ...NO_RATE_LIMITS, ...dbEnv, ...settings }),
    logger,
  );
  await listenApi(app, port, '127.0.0.1');
  const address = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}
