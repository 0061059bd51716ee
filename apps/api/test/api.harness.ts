import { validateConfig } from '@app/config';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { e2eEnv } from '../../../test/e2e/e2e.env';
import { ObserverConfig } from '../../observer/src/observer.config';
import { ObserverModule } from '../../observer/src/observer.module';
import { createApi } from '../src/api.factory';
import { ApiConfig } from '../src/config/api.config';

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

function databaseEnv(): Record<string, string> {
  const env = e2eEnv();
  return {
    DATABASE_URL: env.primaryUrl,
    REPLICA_URLS: env.replicaUrls.map((r) => `${r.name}=${r.url}`).join(','),
  };
}

/**
 * The API under test: E2E_API_URL when the suite targets a running stack, else
 * the real app (createApi, as main.ts builds it) in this process on a free port.
 */
export async function startApi(settings: Record<string, string> = {}): Promise<RunningApi> {
  const external = e2eEnv().apiUrl;
  if (external) return { url: external, close: () => Promise.resolve() };
  const config = validateConfig(ApiConfig, {
    ...databaseEnv(),
    STATUS_REFRESH_MS: '50',
    ...settings,
  });
  const app = await createApi(config, ['warn', 'error']);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** The observer app in this process (a running stack has its own). */
export async function startObserver(intervalMs = 100): Promise<{ close(): Promise<void> }> {
  if (e2eEnv().external) return { close: () => Promise.resolve() };
  const config = validateConfig(ObserverConfig, {
    ...databaseEnv(),
    OBSERVER_INTERVAL_MS: String(intervalMs),
  });
  const app = await NestFactory.createApplicationContext(ObserverModule.forRoot(config), {
    logger: ['warn', 'error'],
  });
  return { close: () => app.close() };
}

export interface Rider {
  id: number;
  auth: { Authorization: string };
  token: string;
}

let riders = 0;

export async function createRider(url: string): Promise<Rider> {
  const email = `rider-${process.pid}-${Date.now()}-${riders++}@example.com`;
  const response = await request(url).post('/users').send({ email }).expect(201);
  return {
    id: response.body.id as number,
    auth: { Authorization: `Bearer ${response.body.api_key as string}` },
    token: response.headers['consistency-token'] as string,
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
