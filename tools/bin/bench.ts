/**
 * `npm run bench`: the routing issue's performance numbers, measured on a
 * private cluster (ports 57433+) with the real API, observer and simulator.
 *   1. statements sent to the primary per GET /rides/:id at steady state,
 *      with and without a Consistency-Token header (the original sends 3);
 *   2. the simulator's replica share with its default wait (0-2 s) and with
 *      none, with REPLICA_WAIT_MS at its default and at 0;
 *   3. for comparison, TypeORM's built-in replication reading right after a
 *      write from replicas with recovery_min_apply_delay = 10ms.
 * Prints numbers; asserts nothing.
 */
import 'reflect-metadata';
import { loadEnv } from '@app/config';
import {
  startApi,
  startObserver,
  startPrivateCluster,
  startSimulator,
  type DatabaseEnv,
  type LocalCluster,
} from '@app/dev-tools';
import { NodeRegistry, PRIMARY_NODE } from '@app/replica-routing';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';

const PORT = Number(process.env.BENCH_POSTGRES_PORT ?? 26433);
const REPLICAS = 5;
const SIM_SECONDS = Number(process.env.BENCH_SIM_SECONDS ?? 20);
const out = (line: string) => console.log(`bench | ${line}`);

async function main(): Promise<void> {
  loadEnv();
  out(`cluster: primary + ${REPLICAS} replicas on ${PORT}+ (fsync off)`);
  const { cluster, appEnv: db } = await startPrivateCluster('bench', PORT);
  const observer = await startObserver(db);
  try {
    await primaryQueriesPerGet(db);
    for (const [simWait, replicaWait] of [
      [2000, 20],
      [0, 20],
      [0, 0],
    ] as const) {
      await replicaShare(db, simWait, replicaWait);
    }
    await typeormReplication(cluster);
  } finally {
    await observer.close();
    await cluster.stopAll();
  }
}

async function primaryQueriesPerGet(db: DatabaseEnv): Promise<void> {
  const api = await startApi(db);
  const { url } = api;
  const registry = api.app.get(NodeRegistry);
  try {
    const user = (await (await post(url, '/users', { email: 'bench@example.com' })).json()) as {
      api_key: string;
    };
    const auth = { authorization: `Bearer ${user.api_key}` };
    const ids: number[] = [];
    let token = '';
    for (let i = 0; i < 50; i++) {
      const response = await post(url, '/rides', { distance: 10 + i }, auth);
      ids.push(((await response.json()) as { id: number }).id);
      token = response.headers.get('consistency-token')!;
    }
    await sleep(1500); // let replicas and the status cache settle: "steady state"
    for (const [label, headers] of [
      ['with Consistency-Token', { ...auth, 'consistency-token': token }],
      ['without Consistency-Token', auth],
    ] as const) {
      const before = registry.queryCount(PRIMARY_NODE).routed;
      const n = 300;
      const served = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const response = await fetch(`${url}/rides/${ids[i % ids.length]!}`, { headers });
        const node = response.headers.get('served-by') ?? '?';
        served.set(node, (served.get(node) ?? 0) + 1);
      }
      const perGet = (registry.queryCount(PRIMARY_NODE).routed - before) / n;
      out(
        `primary statements per GET ${label}: ${perGet.toFixed(2)} (original demo: 3); served by ${fmt(served)}`,
      );
    }
  } finally {
    await api.close();
  }
}

async function replicaShare(
  db: DatabaseEnv,
  simWaitMs: number,
  replicaWaitMs: number,
): Promise<void> {
  const api = await startApi(db, { REPLICA_WAIT_MS: String(replicaWaitMs) });
  try {
    const sim = await startSimulator(api.url, {
      SIM_USERS: '4',
      SIM_WAIT_MAX_MS: String(simWaitMs),
      SIM_DURATION_S: String(SIM_SECONDS),
      SIM_REPORT_EVERY_S: '3600',
    });
    const stats = await sim.simulator.run(new AbortController().signal);
    await sim.close();
    out(
      `simulator wait 0-${simWaitMs} ms, REPLICA_WAIT_MS=${replicaWaitMs}: replica share ${(stats.replicaShare * 100).toFixed(1)}% ` +
        `of ${stats.reads} reads, stale ${stats.stale}, errors ${stats.errorCount}, p50 ${stats.percentile(50).toFixed(1)} ms, p99 ${stats.percentile(99).toFixed(1)} ms`,
    );
  } finally {
    await api.close();
  }
}

/** TypeORM's own replication: writes on the master, find() on a random slave, no consistency tracking. */
async function typeormReplication(cluster: LocalCluster): Promise<void> {
  const replicas = cluster.nodes.slice(1).map((n) => n.name);
  await Promise.all(
    replicas.map((r) =>
      cluster.withClient(r, 'postgres', (c) =>
        c.query("ALTER SYSTEM SET recovery_min_apply_delay = '10ms'"),
      ),
    ),
  );
  await Promise.all(
    replicas.map((r) =>
      cluster.withClient(r, 'postgres', (c) => c.query('SELECT pg_reload_conf()')),
    ),
  );
  const ds = new DataSource({
    type: 'postgres',
    replication: {
      master: { url: cluster.url() },
      slaves: replicas.map((r) => ({ url: cluster.url(r) })),
    },
  });
  await ds.initialize();
  try {
    await ds.query('CREATE TABLE IF NOT EXISTS bench_notes (id serial PRIMARY KEY)');
    await sleep(500);
    let missing = 0;
    const n = 200;
    for (let i = 0; i < n; i++) {
      const master = ds.createQueryRunner('master');
      const [row] = (await master.query('INSERT INTO bench_notes DEFAULT VALUES RETURNING id')) as {
        id: number;
      }[];
      await master.release();
      // What find() does under `replication`: a 'slave' runner (DataSource.query() would use the master).
      const slave = ds.createQueryRunner('slave');
      const found = (await slave.query('SELECT 1 FROM bench_notes WHERE id = $1', [
        row!.id,
      ])) as unknown[];
      await slave.release();
      if (found.length === 0) missing++;
    }
    out(
      `TypeORM built-in replication, read right after write, replicas 10 ms behind: ${((missing / n) * 100).toFixed(1)}% missing rows (this library: 0)`,
    );
  } finally {
    await ds.destroy();
  }
}

const post = (url: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

const fmt = (m: Map<string, number>) =>
  [...m.entries()]
    .sort()
    .map(([k, v]) => `${k}:${v}`)
    .join(', ');

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
