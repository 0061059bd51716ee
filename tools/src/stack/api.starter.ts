import { validateConfig } from '@app/config';
import type { LogLevel } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { createApi } from '../../../apps/api/src/api.factory';
import { ApiConfig } from '../../../apps/api/src/config/api.config';
import type { DatabaseEnv } from './database.env';

export interface InProcessApi {
  app: NestExpressApplication;
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/**
 * The real API (`createApi`, as main.ts builds it) in this process on a free
 * port of 127.0.0.1, configured by `dbEnv` and `settings` alone (not process.env).
 */
export async function startApi(
  dbEnv: DatabaseEnv,
  settings: Record<string, string> = {},
  logger: LogLevel[] | false = ['error'],
): Promise<InProcessApi> {
  const app = await createApi(validateConfig(ApiConfig, { ...dbEnv, ...settings }), logger);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
