/**
 * `npm run chaos`: the simulator against the real API and observer while the
 * databases fail, phase by phase; then a report, and a check that every
 * acknowledged ride exists. Exits 1 on any stale read, any lost ride, or an
 * error in a phase where every node that could serve was up.
 * CHAOS_PHASE_S (default 15) sets the length of each phase; CI runs 3.
 */
import 'reflect-metadata';
import {
  startApi,
  startObserver,
  startPrivateCluster,
  startSimulator,
  type LocalCluster,
  type SimulationStats,
} from '@app/dev-tools';
import { setTimeout as sleep } from 'node:timers/promises';

const PHASE_MS = Number(process.env.CHAOS_PHASE_S ?? 15) * 1000;
const PORT = Number(process.env.CHAOS_POSTGRES_PORT ?? 27433);
const COOLDOWN_MS = 2000;
const say = (line: string) => console.log(`chaos | ${line}`);

interface Phase {
  name: string;
  /** Errors are expected here (a node that alone could serve was down). */
  errorsExpected: boolean;
  run(): Promise<void>;
}

interface Snapshot {
  writes: number;
  reads: number;
  stale: number;
  givenUp: number;
  errors: Map<string, number>;
  byNode: Map<string, number>;
}

async function main(): Promise<void> {
  say(`cluster: primary + 5 replicas on ${PORT}+; phases of ${PHASE_MS / 1000} s`);
  const { cluster, appEnv: db } = await startPrivateCluster('chaos', PORT);
  const replicas = cluster.nodes.slice(1).map((n) => n.name);
  const onReplicas = (names: string[], text: string) =>
    Promise.all(names.map((n) => cluster.withClient(n, 'postgres', (c) => c.query(text))));

  const api = await startApi(db, { PRIMARY_COOLDOWN_MS: String(COOLDOWN_MS) });
  let observer = await startObserver(db);

  const sim = await startSimulator(api.url, {
    SIM_USERS: '6',
    SIM_WAIT_MAX_MS: '200',
    SIM_REPORT_EVERY_S: '3600',
    SIM_WRITE_RETRY_S: '60',
  });
  const stop = new AbortController();
  let stats: SimulationStats | undefined;
  const running = sim.simulator
    .run(stop.signal, { trackAcknowledged: true })
    .then((s) => (stats = s));
  const live = () => sim.simulator.current;

  const phases: Phase[] = [
    { name: 'steady', errorsExpected: false, run: () => sleep(PHASE_MS) },
    {
      name: 'replay paused on 2 replicas',
      errorsExpected: false,
      run: async () => {
        await onReplicas(replicas.slice(0, 2), 'SELECT pg_wal_replay_pause()');
        await sleep(PHASE_MS);
        await onReplicas(replicas.slice(0, 2), 'SELECT pg_wal_replay_resume()');
      },
    },
    {
      name: 'replay paused on every replica',
      errorsExpected: false,
      run: async () => {
        await onReplicas(replicas, 'SELECT pg_wal_replay_pause()');
        await sleep(PHASE_MS);
        await onReplicas(replicas, 'SELECT pg_wal_replay_resume()');
      },
    },
    {
      name: 'replica2 stopped, replica3 killed',
      errorsExpected: false,
      run: async () => {
        await cluster.stopNode('replica2', 'immediate');
        await cluster.stopNode('replica3', 'kill');
        await sleep(PHASE_MS);
        await cluster.startNode('replica2', { foreground: false });
        await cluster.startNode('replica3', { foreground: false });
        await cluster.waitReady('replica2');
        await cluster.waitReady('replica3');
      },
    },
    {
      name: 'observer stopped',
      errorsExpected: false,
      run: async () => {
        await observer.close();
        await sleep(PHASE_MS);
        observer = await startObserver(db);
      },
    },
    {
      name: 'primary killed (kill -9) and restarted',
      errorsExpected: true,
      run: async () => {
        await cluster.stopNode('primary', 'kill');
        await sleep(PHASE_MS / 2);
        await cluster.startNode('primary', { foreground: false });
        await cluster.waitReady('primary');
        await sleep(COOLDOWN_MS + 500); // the breaker's cool-down, then writes resume
      },
    },
    { name: 'recovered', errorsExpected: false, run: () => sleep(PHASE_MS) },
  ];

  const rows: { phase: Phase; delta: Snapshot }[] = [];
  await sleep(1000);
  for (const phase of phases) {
    say(`phase: ${phase.name}`);
    const before = snapshot(live());
    await phase.run();
    rows.push({ phase, delta: diff(snapshot(live()), before) });
  }
  stop.abort();
  await running;
  await sim.close();

  const final = stats!;
  const lost = await lostRides(cluster, final.acknowledged);
  await observer.close();
  await api.close();
  await cluster.stopAll();

  say('');
  say(
    'phase                                   | writes | reads | stale | errors                     | reads by node',
  );
  for (const { phase, delta } of rows) {
    say(
      `${phase.name.padEnd(39)} | ${String(delta.writes).padStart(6)} | ${String(delta.reads).padStart(5)} | ${String(delta.stale).padStart(5)} | ` +
        `${fmt(delta.errors).padEnd(26)} | ${fmt(delta.byNode)}`,
    );
  }
  // While the primary is down the API must answer 503 (or be unreachable for a
  // moment); any other error, a 500 above all, is a bug in every phase.
  const unexpectedErrors = (r: (typeof rows)[number]) =>
    new Map(
      [...r.delta.errors].filter(
        ([kind]) => !r.phase.errorsExpected || !/_(503|network)$/.test(kind),
      ),
    );
  const unexpected = rows.filter((r) => sum(unexpectedErrors(r)) > 0);
  say('');
  say(`total: ${final.summary()}`);
  say(
    `acknowledged rides: ${final.acknowledged.length}; lost: ${lost}; writes given up: ${final.givenUp}`,
  );
  say(
    `unexpected errors (any outside the primary's outage, any but 503 during it): ${unexpected.map((r) => `${r.phase.name} (${fmt(unexpectedErrors(r))})`).join('; ') || 'none'}`,
  );
  const failed = final.stale > 0 || lost > 0 || unexpected.length > 0;
  say(
    failed
      ? 'FAILED'
      : 'PASSED: 0 stale reads, 0 lost rides, errors only while the primary was down, all 503',
  );
  process.exit(failed ? 1 : 0);
}

function snapshot(s: SimulationStats | undefined): Snapshot {
  return {
    writes: s?.writes ?? 0,
    reads: s?.reads ?? 0,
    stale: s?.stale ?? 0,
    givenUp: s?.givenUp ?? 0,
    errors: new Map(s?.errors ?? []),
    byNode: new Map(s?.readsByNode ?? []),
  };
}

function diff(after: Snapshot, before: Snapshot): Snapshot {
  const sub = (a: Map<string, number>, b: Map<string, number>) =>
    new Map(
      [...a].map(([k, v]) => [k, v - (b.get(k) ?? 0)] as [string, number]).filter(([, v]) => v > 0),
    );
  return {
    writes: after.writes - before.writes,
    reads: after.reads - before.reads,
    stale: after.stale - before.stale,
    givenUp: after.givenUp - before.givenUp,
    errors: sub(after.errors, before.errors),
    byNode: sub(after.byNode, before.byNode),
  };
}

/** Acknowledged rides that are missing on the primary or hold another distance. */
async function lostRides(
  cluster: LocalCluster,
  acknowledged: { id: number; distance: number }[],
): Promise<number> {
  const stored = await cluster.withClient('primary', 'rocket_rides', async (c) => {
    const { rows } = await c.query<{ id: string; distance: string }>(
      'SELECT id::text, distance::text FROM rides WHERE id = ANY($1)',
      [acknowledged.map((r) => r.id)],
    );
    return new Map(rows.map((r) => [Number(r.id), Number(r.distance)]));
  });
  return acknowledged.filter((r) => stored.get(r.id) !== r.distance).length;
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const fmt = (m: Map<string, number>) =>
  [...m]
    .sort()
    .map(([k, v]) => `${k}:${v}`)
    .join(',') || '-';

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
