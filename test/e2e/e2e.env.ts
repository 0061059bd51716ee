import { postgresUrl } from '@app/config';
import { LOCAL_CREDENTIALS, type Credentials } from '@app/dev-tools';
import { resolve } from 'node:path';

/**
 * Where the e2e suite finds its databases and API. By default the global setup
 * starts a private cluster on E2E_POSTGRES_PORT (25433) and up, which cannot
 * collide with `npm start` (5433). With E2E_EXTERNAL=1 the suite uses a running
 * stack instead: E2E_DATABASE_URL, E2E_REPLICA_URLS (name=url,...) and
 * optionally E2E_API_URL (else the API runs in-process against those databases).
 */
export interface E2eEnv extends Credentials {
  external: boolean;
  dataDir: string;
  port: number;
  replicas: number;
  primaryUrl: string;
  replicaUrls: { name: string; url: string }[];
  apiUrl: string | undefined;
}

export function e2eEnv(env = process.env): E2eEnv {
  const port = Number(env.E2E_POSTGRES_PORT ?? 25433);
  const replicas = Number(env.E2E_NUM_REPLICAS ?? 5);
  const url = (p: number) => postgresUrl({ host: '127.0.0.1', port: p, ...LOCAL_CREDENTIALS });
  const replicaUrls = env.E2E_REPLICA_URLS
    ? env.E2E_REPLICA_URLS.split(',').map((entry) => {
        const [name, ...rest] = entry.trim().split('=');
        return { name: name!, url: rest.join('=') };
      })
    : Array.from({ length: replicas }, (_, i) => ({ name: `replica${i}`, url: url(port + 1 + i) }));
  return {
    external: env.E2E_EXTERNAL === '1',
    dataDir: resolve(env.E2E_DATA_DIR ?? '.cluster-test'),
    port,
    replicas: replicaUrls.length,
    ...LOCAL_CREDENTIALS,
    primaryUrl: env.E2E_DATABASE_URL ?? url(port),
    replicaUrls,
    apiUrl: env.E2E_API_URL,
  };
}
