/**
 * What the three scratch apps of `npm run test:package` share: run.sh copies
 * this file beside each app's main file. It needs only `pg`, which every app
 * installs (a required peer of the package), and nothing of the package.
 */
import pg from 'pg';

export interface Cluster {
  primary: { url: string };
  replicas: { name: string; url: string }[];
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const APP = env('SMOKE_APP');
const host = env('SMOKE_PG_HOST');
const port = Number(env('SMOKE_PG_PORT'));
const replicaCount = Number(env('SMOKE_REPLICAS'));
const nodeUrl = (nodePort: number, database: string) =>
  `postgres://${encodeURIComponent(env('SMOKE_PG_USER'))}:${encodeURIComponent(env('SMOKE_PG_PASSWORD'))}` +
  `@${host}:${nodePort}/${database}`;

export const say = (line: string): void => console.log(`${APP} | ${line}`);

/** The private cluster's nodes, on `database`. */
export function cluster(database: string): Cluster {
  return {
    primary: { url: nodeUrl(port, database) },
    replicas: Array.from({ length: replicaCount }, (_, i) => ({
      name: `replica${i}`,
      url: nodeUrl(port + 1 + i, database),
    })),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A database of the app's own, new, once every replica has replayed its
 * creation (until then, connecting to it there fails).
 */
export async function freshDatabase(database: string): Promise<void> {
  const adminDb = env('SMOKE_PG_DB');
  const created = await withClient(nodeUrl(port, adminDb), async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.query(`CREATE DATABASE ${database}`);
    const { rows } = await admin.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    return rows[0]!.lsn;
  });
  const deadline = Date.now() + 20_000;
  for (let i = 0; i < replicaCount; i++) {
    await withClient(nodeUrl(port + 1 + i, adminDb), async (replica) => {
      for (;;) {
        const { rows } = await replica.query<{ done: boolean }>(
          'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done',
          [created],
        );
        if (rows[0]?.done) return;
        if (Date.now() > deadline) throw new Error(`replica${i} did not replay CREATE DATABASE`);
        await sleep(20);
      }
    });
  }
}

/**
 * Fails unless every package named cannot be resolved from this app (`resolve`
 * is its `require.resolve`): what the app must run without.
 */
export function assertNotInstalled(resolve: (name: string) => string, names: string[]): void {
  for (const name of names) {
    let found: string | undefined;
    try {
      found = resolve(name);
    } catch {
      continue;
    }
    throw new Error(`${name} is installed (${found}): this app must run without it`);
  }
  say(`not installed, as meant: ${names.join(', ')}`);
}

/** What a scratch app uses of the package's `ReplicaObserver` (from `createReplicaObserver`). */
interface Observer {
  tick(): Promise<{ name: string; lsn: unknown }[] | null>;
  close(): Promise<void>;
}

/**
 * The status table the routers read, for an app without TypeORM or Nest:
 * made with the package's own statements (`replicaStatusesSql()`), then
 * written by one tick of its observer (`createReplicaObserver`), before the
 * routing core starts. A router treats a replica it has never seen in that
 * table (or served a read from) as unavailable ("never observed", see
 * node-state.service.ts), so without a row no read would ever leave the
 * primary. With a row, a read whose token is past the known position is
 * tried on one replica with a known position (replica-selection.policy.ts,
 * the "guess"), which proves the token in-band, waiting up to `replicaWaitMs`.
 */
export async function seedStatusTable(
  nodes: Cluster,
  statements: readonly string[],
  observer: Observer,
): Promise<void> {
  await withClient(nodes.primary.url, async (client) => {
    for (const statement of statements) await client.query(statement);
  });
  try {
    const rows = await observer.tick();
    if (!rows) throw new Error('the observer made no tick');
    const seen = rows.filter((r) => r.lsn !== null).map((r) => r.name);
    say(`status table written by one observer tick; positions of ${seen.join(', ')}`);
  } finally {
    await observer.close();
  }
}

export interface Pair {
  /** Who served the read. */
  servedBy: string;
  /** Whether the read saw the row just written. */
  fresh: boolean;
}

/**
 * `rounds` writes, each read back with its token: every read must see its
 * row, and at least one must come from a replica (a router that never left
 * the primary, or read a replica that had not replayed the write, fails).
 */
export async function readYourWrites(
  nodes: Cluster,
  rounds: number,
  pair: (round: number) => Promise<Pair>,
): Promise<void> {
  const replicaNames = new Set(nodes.replicas.map((r) => r.name));
  const served: string[] = [];
  const problems: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    const { servedBy, fresh } = await pair(round);
    served.push(servedBy);
    say(`round ${round}: read served by ${servedBy}, ${fresh ? 'saw its write' : 'STALE'}`);
    if (!fresh) problems.push(`round ${round}: the read on ${servedBy} did not see its write`);
    if (servedBy !== 'primary' && !replicaNames.has(servedBy))
      problems.push(`round ${round}: served by an unknown node ${servedBy}`);
  }
  const onReplicas = served.filter((s) => replicaNames.has(s)).length;
  if (onReplicas === 0) problems.push(`none of ${rounds} reads was served by a replica`);
  if (problems.length > 0) throw new Error(problems.join('; '));
  say(`${onReplicas} of ${rounds} reads served by replicas, none stale`);
}

/** Runs the app's check: exit 0 when it passes, 1 (with the reason) when not or after `limitMs`. */
export function run(main: () => Promise<void>, limitMs = 90_000): void {
  setTimeout(() => {
    say(`FAIL: timed out after ${limitMs / 1000} s`);
    process.exit(1);
  }, limitMs).unref();
  main().then(
    () => {
      say('PASS');
      process.exit(0);
    },
    (error: unknown) => {
      say(`FAIL: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
