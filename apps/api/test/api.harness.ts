import {
  databaseEnv,
  startApi as startInProcessApi,
  startObserver as startInProcessObserver,
  type DatabaseEnv,
} from '@app/dev-tools';
import type { LogLevel } from '@nestjs/common';
import request from 'supertest';
import { e2eEnv, urlAs } from '../../../test/e2e/e2e.env';

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

/** The in-process apps log warnings and errors. */
const LOGGER: LogLevel[] = ['warn', 'error'];

/** The suite's nodes as `role`: the apps under test log in as their own roles, never the superuser. */
function suiteDatabases(role: 'api' | 'observer'): DatabaseEnv {
  const env = e2eEnv();
  const login = env.roles[role];
  return databaseEnv(
    urlAs(env.primaryUrl, login),
    env.replicaUrls.map((r) => ({ name: r.name, url: urlAs(r.url, login) })),
  );
}

/**
 * The API under test: E2E_API_URL when the suite targets a running stack, else
 * the real app (createApi, as main.ts builds it) in this process on a free port.
 */
export async function startApi(settings: Record<string, string> = {}): Promise<RunningApi> {
  const external = e2eEnv().apiUrl;
  if (external) return { url: external, close: () => Promise.resolve() };
  return startInProcessApi(suiteDatabases('api'), { STATUS_REFRESH_MS: '50', ...settings }, LOGGER);
}

/** The observer app in this process (a running stack has its own). */
export async function startObserver(intervalMs = 100): Promise<{ close(): Promise<void> }> {
  if (e2eEnv().external) return { close: () => Promise.resolve() };
  return startInProcessObserver(
    suiteDatabases('observer'),
    { OBSERVER_INTERVAL_MS: String(intervalMs) },
    LOGGER,
  );
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

/** POST /rides, then GET of that ride with the write's Consistency-Token: both answers. */
export async function writeAndReadBack(url: string, rider: Rider, distance: number) {
  const written = await request(url).post('/rides').set(rider.auth).send({ distance }).expect(201);
  const read = await request(url)
    .get(`/rides/${written.body.id as number}`)
    .set(rider.auth)
    .set('Consistency-Token', written.headers['consistency-token'] as string)
    .expect(200);
  return { written, read };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
