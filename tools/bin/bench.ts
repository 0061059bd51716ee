/**
 * `npm run bench`: the routing issue's performance numbers, on a private
 * cluster (a primary and 5 replicas, fsync off, 127.0.0.1:26433+) with the
 * observer running and the real API in child processes (never in the load
 * generator's event loop). Prints a table per section and a summary of the
 * targets, and writes every number to bench-results.json (BENCH_OUT):
 *   1. routed vs primary: GET /rides/:id with a token, routed or kept on the
 *      primary, and without a token;
 *   2. read right after write, REPLICA_WAIT_MS=0: replica share, stale reads;
 *   3. writes: POST /rides, and the primary's commits per POST;
 *   4. two API processes: one's tokens honoured by the other;
 *   5. scaling: (a) with 0, 1, 2 and 5 replicas;
 *   6. for comparison, TypeORM's built-in replication;
 *   7. a retry storm, through the API's proxy (HAProxy) and straight to the
 *      API: 100, then 3,000 connections of clients that retry at once;
 *   8. the unified log: commit-to-apply latency at up to 300 rides/s, and the
 *      drain rate of a 100,000-event backlog (BENCH_ONLY=log: alone);
 *   9. the library's overhead: CPU and latency per routed read against the
 *      same read on a bare pg.Pool to the same replica, and beside them (9b)
 *      that pool with the library's settings and the floor of any router,
 *      then (9c) all of it again with AsyncLocalStorage carried the other way
 *      (BENCH_ONLY=overhead: alone).
 * BENCH_SECONDS (15) per measured phase, after a 2 s warm-up; BENCH_CONNECTIONS
 * (16) requests in flight; BENCH_ONLY=storm runs section 7 alone (CI). Asserts
 * section 7's targets only: exits 1 if one is missed (or it crashes).
 */
import 'reflect-metadata';
import { loadEnv } from '@app/config';
import { startObserver } from '../src/stack/observer.starter';
import { startPrivateCluster } from '../src/cluster/private-cluster';
import type { BenchContext } from '../src/bench/bench.context';
import { benchSettings } from '../src/bench/bench.settings';
import { CleanupRegistry } from '../src/bench/cleanup.registry';
import { describeMachine, machineInfo } from '../src/bench/machine.info';
import { libraryOverhead, overheadTargets } from '../src/bench/overhead.section';
import { readAfterWrite } from '../src/bench/read-after-write.section';
import { writeResults } from '../src/bench/results.writer';
import { retryStorm } from '../src/bench/retry-storm.section';
import { routedVsPrimary } from '../src/bench/routed-vs-primary.section';
import { scaling } from '../src/bench/scaling.section';
import { stormTargets } from '../src/bench/storm.targets';
import { evaluateTargets, printTargets, type Target } from '../src/bench/targets.summary';
import { twoProcesses } from '../src/bench/two-processes.section';
import { typeormReplication } from '../src/bench/typeorm-replication.section';
import { unifiedLog } from '../src/bench/unified-log.section';
import { writes } from '../src/bench/writes.section';

const say = (line: string) => console.log(`bench | ${line}`);

/** Runs the bench; resolves with its exit code (1: a target of section 7 was missed). */
async function main(cleanup: CleanupRegistry): Promise<number> {
  loadEnv();
  const settings = benchSettings();
  const date = new Date().toISOString();
  say(`cluster: primary + 5 replicas on 127.0.0.1:${settings.postgresPort}+ (fsync off)`);
  const { cluster, observerEnv } = await startPrivateCluster('bench', settings.postgresPort);
  cleanup.add('cluster', () => cluster.stopAll());
  const observer = await startObserver(observerEnv);
  cleanup.add('observer', () => observer.close());
  const machine = await machineInfo(cluster);
  say(`machine: ${describeMachine(machine)}`);
  say(
    `${settings.connections} connections, ${settings.seconds} s per measured phase after a ` +
      `${settings.warmupMs / 1000} s warm-up; each API in a child process; observer running`,
  );
  const ctx: BenchContext = {
    settings,
    cluster,
    // The API's role: what the API processes and TypeORM's replication connect as.
    primaryUrl: cluster.urlAs(cluster.roles.api),
    replicas: cluster.nodes
      .slice(1)
      .map((n) => ({ name: n.name, url: cluster.urlAs(cluster.roles.api, n.name) })),
    cleanup,
    say,
  };
  const results = {
    date,
    machine,
    settings: {
      seconds: settings.seconds,
      connections: settings.connections,
      postgresPort: settings.postgresPort,
      warmupMs: settings.warmupMs,
    },
  };
  let targets: Target[];
  if (settings.only === 'log') {
    targets = [];
    writeResults(settings.outFile, {
      ...results,
      sections: { unifiedLog: await unifiedLog(ctx) },
      targets,
    });
  } else if (settings.only === 'overhead') {
    const overhead = await libraryOverhead(ctx);
    targets = overheadTargets(overhead);
    printTargets(targets);
    writeResults(settings.outFile, {
      ...results,
      sections: { libraryOverhead: overhead },
      targets,
    });
  } else if (settings.only === 'storm') {
    const storm = await retryStorm(ctx);
    targets = stormTargets(storm);
    printTargets(targets);
    writeResults(settings.outFile, { ...results, sections: { retryStorm: storm }, targets });
  } else {
    const { result: routed, riders } = await routedVsPrimary(ctx);
    const sections = {
      routedVsPrimary: routed,
      readAfterWrite: await readAfterWrite(ctx),
      writes: await writes(ctx),
      twoProcesses: await twoProcesses(ctx),
      scaling: await scaling(ctx, riders),
    };
    const storm = await retryStorm(ctx);
    const log = await unifiedLog(ctx);
    const overhead = await libraryOverhead(ctx);
    // Last: it delays the replicas' replay.
    const typeorm = await typeormReplication(ctx);
    targets = [...evaluateTargets(sections), ...stormTargets(storm), ...overheadTargets(overhead)];
    printTargets(targets, sections);
    writeResults(settings.outFile, {
      ...results,
      sections: {
        ...sections,
        typeormReplication: typeorm,
        retryStorm: storm,
        unifiedLog: log,
        libraryOverhead: overhead,
      },
      targets,
    });
  }
  say(`results written to ${settings.outFile}`);
  const missed = targets.filter((t) => t.id === '7' && t.met === false);
  for (const t of missed) say(`MISSED: ${t.measure.trim()}: ${t.measured}, target ${t.target}`);
  return missed.length > 0 ? 1 : 0;
}

const cleanup = new CleanupRegistry();
cleanup.exitOnSignals();
main(cleanup)
  .then(
    (code) => code,
    (error: unknown) => {
      console.error(error);
      return 1;
    },
  )
  .then(
    async (code) => {
      await cleanup.runAll();
      process.exit(code);
    },
    () => process.exit(1),
  );
