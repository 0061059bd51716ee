import { postgresUrl } from '@app/config';
import { LOCAL_CREDENTIALS, LOCAL_ROLES, type Credentials, type Login } from '@app/dev-tools';
import { resolve } from 'node:path';

/**
 * Where the e2e suite finds its databases and API. By default the global setup
 * starts a private cluster on E2E_POSTGRES_PORT (25433) and up, which cannot
 * collide with `npm start` (5433). With E2E_EXTERNAL=1 the suite uses a running
 * stack instead: E2E_DATABASE_URL, E2E_REPLICA_URLS (name=url,...) and
 * optionally E2E_API_URL (else the API runs in-process against those databases).
 * `user`, `password` and the URLs are the superuser's, for the tests' own
 * setup and faults; the apps under test log in as `roles` (an external
 * stack's from ROCKET_{OWNER,API,OBSERVER}_{USER,PASSWORD}, as compose takes them).
 */
export interface E2eEnv extends Credentials {
  external: boolean;
  /** E2E_BEHIND_PROXY=1: `apiUrl` is a load balancer over several API processes (test:compose:ha). */
  behindProxy: boolean;
  dataDir: string;
  port: number;
  replicas: number;
  primaryUrl: string;
  replicaUrls: { name: string; url: string }[];
  roles: { owner: Login; api: Login; observer: Login; log: Login };
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
  const external = env.E2E_EXTERNAL === '1';
  const login = (kind: 'OWNER' | 'API' | 'OBSERVER' | 'LOG', local: Login): Login =>
    external
      ? {
          user: env[`ROCKET_${kind}_USER`] || local.user,
          password: env[`ROCKET_${kind}_PASSWORD`] || local.password,
        }
      : local;
  return {
    external,
    dataDir: resolve(env.E2E_DATA_DIR ?? '.cluster-test'),
    port,
    replicas: replicaUrls.length,
    ...LOCAL_CREDENTIALS,
    primaryUrl: env.E2E_DATABASE_URL ?? url(port),
    replicaUrls,
    roles: {
      owner: login('OWNER', LOCAL_ROLES.owner),
      api: login('API', LOCAL_ROLES.api),
      observer: login('OBSERVER', LOCAL_ROLES.observer),
      log: login('LOG', LOCAL_ROLES.log),
    },
    apiUrl: env.E2E_API_URL,
    behindProxy: env.E2E_BEHIND_PROXY === '1',
  };
}

/** `url` (a superuser's) with `login`'s user and password instead. */
export function urlAs(url: string, login: Login): string {
  const parsed = new URL(url);
  // Encoded first: the setters leave a `%` as it is.
  parsed.username = encodeURIComponent(login.user);
  parsed.password = encodeURIComponent(login.password);
  return parsed.toString();
}
