/**
 * `npm run chaos`: the simulator against the real API and observer while the
 * databases fail, hang and overload, phase by phase; then a report, and checks
 * that every acknowledged ride exists once and no retry made a second ride.
 * Exits 1 on any stale read, lost or duplicated ride, error a phase does not
 * allow, phase in which no read was checked, read slower than the bound where
 * it applies, bad burst answer, or fault that did not recover by itself.
 * CHAOS_PHASE_S (default 15) sets the length of each phase; CI runs 3.
 */
import 'reflect-metadata';
import {
  clusterEnv,
  startApi,
  startObserver,
  startPrivateCluster,
  startSimulator,
  type InProcessApi,
  type LocalCluster,
  type SimulationStats,
} from '@app/dev-tools';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { burstPhase } from '../src/chaos/burst.phase';
import {
  boundCheck,
  fmt,
  printTable,
  sum,
  uncheckedPhases,
  unexpectedErrors,
} from '../src/chaos/chaos.report';
import {
  API_SETTINGS,
  BURST,
  CONNECT_TIMEOUT_MS,
  COOLDOWN_MS,
  FREEZE_MS,
  PHASE_MS,
  POSTGRES_PORT,
  READ_BOUND_MS,
  RETRY_MARGIN_MS,
  STATEMENT_TIMEOUT_MS,
} from '../src/chaos/chaos.settings';
import {
  hungPrimary,
  hungReplica,
  primaryKilledDefaultCooldown,
  recovered,
} from '../src/chaos/fault.phases';
import { thawAll, thawOnExit } from '../src/chaos/node-freezer';
import { type Phase } from '../src/chaos/phase';
import { rowAfter, runPhases } from '../src/chaos/phase.runner';
import { checkHistoryFile } from '../src/history/history.check';
import { envNumber, PORT } from '../src/process/env.number';
import { logPhases } from '../src/chaos/log.phases';
import { LogStack, type LogTally } from '../src/stack/log.stack';
import { waitForProgress } from '../src/chaos/recovery';
import { duplicatedRides, lostRides, type OnPrimary } from '../src/chaos/ride.checks';

/** Every operation of the simulated users, for the session-guarantee checker. */
const HISTORY_FILE = `${process.cwd()}/.chaos-history.jsonl`;
const say = (line: string) => console.log(`chaos | ${line}`);
/**
 * Errors only: an unexpected 500 is logged with its stack (the run fails on
 * it, and the line says why). 503s are warnings, thousands a second under the
 * burst; the simulator and the burst count every answer instead.
 */
const API_LOG: ['fatal', 'error'] = ['fatal', 'error'];
let cluster: LocalCluster | undefined;
let stopBurst: (() => void) | undefined;
/** Every ride the burst phase was answered 201 for: checked on the primary after the run. */
const burstRides: { id: number; distance: number; userId: number }[] = [];
let stopLog: (() => Promise<void>) | undefined;
/** The chaos run's Redis, beside its cluster's ports. */
const LOG_REDIS_PORT = envNumber('CHAOS_REDIS_PORT', 27533, PORT);
const onPrimaryOf =
  (c: LocalCluster): OnPrimary =>
  (fn) =>
    c.withClient('primary', 'rocket_rides', fn);

async function main(): Promise<void> {
  const started = Date.now();
  thawOnExit(async () => {
    stopBurst?.();
    // Redis and the log's processes too: a Redis left on its port would answer the next run.
    await stopLog?.().catch(() => undefined);
    await cluster?.stopAll('immediate');
  });
  process.once('exit', () => stopBurst?.());
  say(
    `cluster: primary + 5 replicas on ${POSTGRES_PORT}+; phases of ${PHASE_MS / 1000} s, nodes hung for ${FREEZE_MS / 1000} s`,
  );
  const privateCluster = await startPrivateCluster('chaos', POSTGRES_PORT);
  const { appEnv: db, observerEnv } = privateCluster;
  const c = (cluster = privateCluster.cluster);
  const replicas = c.nodes.slice(1).map((n) => n.name);
  // The unified log: Redis, two streamers and two consumers, as processes of their own, started
  // by its first phase (after the burst, which measures the API alone).
  const log = new LogStack(clusterEnv(c, c.roles.log), LOG_REDIS_PORT, say, () => ({
    STREAMER_FAIL_RATE: '0.1',
    CONSUMER_FAIL_RATE: '0.1',
  }));
  stopLog = () => log.stop();
  const onReplicas = (names: string[], text: string) =>
    Promise.all(names.map((n) => c.withClient(n, 'postgres', (client) => client.query(text))));

  const apiSettings = { ...API_SETTINGS, PRIMARY_COOLDOWN_MS: String(COOLDOWN_MS) };
  say(
    `api: ${Object.entries(apiSettings)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}; reads must answer within ` +
      `${READ_BOUND_MS} ms (connect ${CONNECT_TIMEOUT_MS} + statement ${STATEMENT_TIMEOUT_MS} + ${RETRY_MARGIN_MS} for the retry elsewhere and event-loop stalls)`,
  );
  let api: InProcessApi = await startApi(db, apiSettings, API_LOG);
  const apiPort = Number(new URL(api.url).port);
  let observer = await startObserver(observerEnv);

  const sim = await startSimulator(api.url, {
    SIM_USERS: '6',
    SIM_WAIT_MAX_MS: '200',
    SIM_REPORT_EVERY_S: '3600',
    SIM_WRITE_RETRY_S: '60',
    // Every user rotates its key every 10 rides: the old one must be refused at once.
    SIM_ROTATE_EVERY: '10',
    SIM_HISTORY_FILE: HISTORY_FILE,
    // Two users send no token: their reads see their writes through the primary's position.
    SIM_TOKENLESS_USERS: '2',
  });
  const stop = new AbortController();
  let stats: SimulationStats | undefined;
  const running = sim.simulator
    .run(stop.signal, { trackAcknowledged: true })
    .then((s) => (stats = s));
  const live = () => sim.simulator.current;
  const stack = { cluster: c, live };
  const writes = () => live()?.acknowledged.length ?? 0;

  const phases: Phase[] = [
    { name: 'steady', readBound: true, run: () => sleep(PHASE_MS) },
    {
      name: 'replay paused on 2 replicas',
      readBound: true,
      run: async () => {
        await onReplicas(replicas.slice(0, 2), 'SELECT pg_wal_replay_pause()');
        await sleep(PHASE_MS);
        await onReplicas(replicas.slice(0, 2), 'SELECT pg_wal_replay_resume()');
      },
    },
    {
      name: 'replay paused on every replica',
      readBound: true,
      run: async () => {
        await onReplicas(replicas, 'SELECT pg_wal_replay_pause()');
        await sleep(PHASE_MS);
        await onReplicas(replicas, 'SELECT pg_wal_replay_resume()');
      },
    },
    {
      name: 'replica2 stopped, replica3 killed',
      readBound: true,
      run: async () => {
        await c.stopNode('replica2', 'immediate');
        await c.stopNode('replica3', 'kill');
        await sleep(PHASE_MS);
        await c.startNode('replica2', { foreground: false });
        await c.startNode('replica3', { foreground: false });
        await c.waitReady('replica2');
        await c.waitReady('replica3');
      },
    },
    {
      name: 'observer stopped',
      readBound: true,
      run: async () => {
        await observer.close();
        await sleep(PHASE_MS);
        observer = await startObserver(observerEnv);
      },
    },
    hungReplica(stack, 'replica1'),
    {
      name: 'primary killed (kill -9) and restarted',
      allowedErrors: /_(503|network)$/,
      readBound: false,
      run: async () => {
        await c.stopNode('primary', 'kill');
        await sleep(PHASE_MS / 2);
        await c.startNode('primary', { foreground: false });
        await c.waitReady('primary');
        const limit = COOLDOWN_MS + 30_000;
        return recovered(
          'writes resumed after the restart',
          await waitForProgress(writes, limit),
          limit,
        );
      },
    },
    hungPrimary(stack),
    burstPhase(
      () => api.url,
      (kill) => (stopBurst = kill),
      (rides) => burstRides.push(...rides),
    ),
    {
      name: 'api restarted, default cool-down',
      allowedErrors: /_network$/,
      readBound: false,
      run: async () => {
        await closeApi(api);
        api = await startApi(db, API_SETTINGS, API_LOG, apiPort);
        await sleep(PHASE_MS / 2);
        return { note: `PRIMARY_COOLDOWN_MS unset from here on (the library's default)` };
      },
    },
    primaryKilledDefaultCooldown(stack),
    ...logPhases(log),
    { name: 'recovered', readBound: true, run: () => sleep(PHASE_MS) },
  ];

  await sleep(1000);
  const { rows, end } = await runPhases(phases, live, say);
  stop.abort();
  await running;
  await sim.close();
  // One cluster, no failover: every acknowledged write stays in its history.
  const violations = checkHistoryFile(HISTORY_FILE, say, undefined, { writesSurvive: true });
  // Within 30 s of the last write, both consumers must equal sum(distance) and count(*) exactly.
  const lastWrite = Date.now();
  let tally: LogTally = await log.tally(onPrimaryOf(c));
  while (!LogStack.agree(tally) && Date.now() - lastWrite < 30_000) {
    await sleep(500);
    tally = await log.tally(onPrimaryOf(c));
  }
  const logAgreedS = LogStack.agree(tally) ? (Date.now() - lastWrite) / 1000 : undefined;
  await log.stop();

  const final = stats!;
  // What came after the last phase is judged too: no answer goes unjudged.
  rows.push(rowAfter(phases, end, final));
  const onPrimary = onPrimaryOf(c);
  const lost = (await lostRides(onPrimary, final.acknowledged)).length;
  const burstLost = (await lostRides(onPrimary, burstRides)).length;
  const dup = await duplicatedRides(onPrimary);
  await observer.close();
  await api.close();
  await c.stopAll();

  say('');
  printTable(rows);
  const unexpected = rows.filter((r) => sum(unexpectedErrors(r)) > 0);
  const unchecked = uncheckedPhases(rows);
  const slow = rows.filter((r) => boundCheck(r) === 'OVER');
  const problems = rows.flatMap((r) =>
    (r.outcome.problems ?? []).map((p) => `${r.phase.name}: ${p}`),
  );
  say('');
  say(`total: ${final.summary()}`);
  say(
    `acknowledged rides: ${final.acknowledged.length}; lost: ${lost}; writes given up: ${final.givenUp}; ` +
      `the burst's: ${burstRides.length}, lost: ${burstLost}`,
  );
  say(
    `duplicated rides: ${dup.duplicated} (${dup.rides} rides of ${dup.users} simulated and burst users, ` +
      `${dup.keys} Idempotency-Keys; keys without a ride of their own: ${dup.keysWithoutOwnRide})`,
  );
  say(
    `unexpected errors (any a phase does not allow): ${unexpected.map((r) => `${r.phase.name} (${fmt(unexpectedErrors(r))})`).join('; ') || 'none'}`,
  );
  say(
    `reads over ${READ_BOUND_MS} ms where checked: ${slow.map((r) => r.phase.name).join('; ') || 'none'}`,
  );
  say(`phases with no read checked: ${unchecked.map((r) => r.phase.name).join('; ') || 'none'}`);
  say(`other problems: ${problems.join('; ') || 'none'}`);
  say(
    `unified log: sum(distance) ${tally.truth.total} over ${tally.truth.rides} rides; ` +
      Object.entries(tally.consumers)
        .map(([n, s]) => `${n} ${s.total} over ${s.rides}`)
        .join(', ') +
      (logAgreedS === undefined
        ? ' -- NOT equal 30 s after the last write'
        : `: equal ${logAgreedS.toFixed(1)} s after the last write`),
  );
  say(`unified log: stale read-backs by the consumers: ${log.staleReadBacks}`);
  say(
    `run took ${((Date.now() - started) / 1000).toFixed(0)} s; burst ${BURST.burstConnections} connections`,
  );
  const failed =
    final.stale > 0 ||
    violations > 0 ||
    logAgreedS === undefined ||
    log.staleReadBacks > 0 ||
    lost > 0 ||
    burstLost > 0 ||
    dup.duplicated > 0 ||
    dup.keysWithoutOwnRide > 0 ||
    unexpected.length > 0 ||
    unchecked.length > 0 ||
    slow.length > 0 ||
    problems.length > 0;
  say(
    failed
      ? 'FAILED'
      : 'PASSED: 0 stale reads (reads checked in every phase), 0 session-guarantee violations, 0 lost or duplicated rides, both log consumers exact with no stale read-back, errors only where allowed, reads within the bound, every fault recovered by itself',
  );
  process.exit(failed ? 1 : 0);
}

/**
 * Closes an in-process API whose clients keep their keep-alive connections
 * busy (server.close() alone would wait for them forever): idle connections
 * are closed as they appear, and whatever is left after 2 s is cut.
 */
async function closeApi(api: InProcessApi): Promise<void> {
  const server: Server = api.app.getHttpServer();
  const closing = api.close();
  const idle = setInterval(() => server.closeIdleConnections(), 50);
  const cut = setTimeout(() => server.closeAllConnections(), 2000);
  try {
    await closing;
  } finally {
    clearInterval(idle);
    clearTimeout(cut);
  }
}

main().catch(async (error: unknown) => {
  console.error(error);
  thawAll();
  stopBurst?.();
  await stopLog?.().catch(() => undefined);
  await cluster?.stopAll('immediate').catch(() => undefined);
  process.exit(1);
});
