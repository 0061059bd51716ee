import { LocalCluster, findPostgresBinaries } from '@app/dev-tools';
import { Client } from 'pg';
import { e2eEnv, urlAs } from './e2e.env';

const env = e2eEnv();

/** Fault injection needs control over the nodes: only on the suite's own cluster. */
export const canControlNodes = !env.external;
export const describeWithNodeControl = canControlNodes ? describe : describe.skip;

let cluster: LocalCluster | undefined;

/** The suite's cluster, for stopping and starting nodes. */
export function testCluster(): LocalCluster {
  cluster ??= new LocalCluster(
    {
      dataDir: env.dataDir,
      host: '127.0.0.1',
      port: env.port,
      replicas: env.replicas,
      user: env.user,
      password: env.password,
      database: env.database,
      fsync: false,
    },
    findPostgresBinaries(),
  );
  return cluster;
}

export function nodeUrl(name: string): string {
  if (name === 'primary') return env.primaryUrl;
  const replica = env.replicaUrls.find((r) => r.name === name);
  if (!replica) throw new Error(`no node ${name}`);
  return replica.url;
}

/** Runs one statement on one node over a fresh connection. */
export async function sql<T = Record<string, unknown>>(
  node: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: nodeUrl(node), connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const replicaNames = (): string[] => env.replicaUrls.map((r) => r.name);

export async function pauseReplay(nodes = replicaNames()): Promise<void> {
  await Promise.all(nodes.map((n) => sql(n, 'SELECT pg_wal_replay_pause()')));
}

export async function resumeReplay(nodes = replicaNames()): Promise<void> {
  await Promise.all(nodes.map((n) => sql(n, 'SELECT pg_wal_replay_resume()')));
}

/** Resolves once every replica has replayed the primary's current position. */
export async function waitForReplicasToCatchUp(
  nodes = replicaNames(),
  timeoutMs = 20_000,
): Promise<void> {
  const [{ lsn }] = (await sql<{ lsn: string }>(
    'primary',
    'SELECT pg_current_wal_insert_lsn()::text AS lsn',
  )) as [{ lsn: string }];
  const deadline = Date.now() + timeoutMs;
  for (const node of nodes) {
    for (;;) {
      const [row] = await sql<{ ok: boolean }>(
        node,
        'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok',
        [lsn],
      ).catch(() => [{ ok: false }]);
      if (row?.ok) break;
      if (Date.now() > deadline) throw new Error(`${node} did not reach ${lsn}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export { e2eEnv, urlAs };
