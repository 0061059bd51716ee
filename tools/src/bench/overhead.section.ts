import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { runForResult } from '../process/result.process';
import { contextFlip, printContextCarriers, type ContextCarrier } from './async-context.runtime';
import { kindCells, overheadKinds, signedMs } from './overhead.kinds';
import type { BenchContext } from './bench.context';
import {
  OVERHEAD_RESULT,
  OVERHEAD_SQL,
  type OverheadConfig,
  type OverheadResult,
} from './overhead.main';
import type { ProfileAreas, SelfTime } from './overhead.profile';
import { fmt, renderTable } from './table.printer';
import type { Target } from './targets.summary';

/** Issue #20's goals for the library's own cost per routed read. */
export const OVERHEAD_TARGETS = { maxCpuRatio: 1.15, maxP50DeltaMs: 0.1, minReplicaShare: 0.99 };

const CONNECTIONS = 8;
const ROUNDS = 6;
const READS_PER_BATCH = 8_000;
const BATCH_TIMEOUT_MS = 5_000;
const SINGLE_ROUNDS = 4;
const SINGLE_READS = 1_500;

export type LibraryOverhead = OverheadResult & {
  /** How the child carried AsyncLocalStorage: as its Node does by default. */
  carrier: ContextCarrier;
  /** The same rounds with AsyncLocalStorage carried the other way (9c); null where Node has one way. */
  flipped: (OverheadResult & { carrier: ContextCarrier; flag: string }) | null;
};

/**
 * Section 9: the library's own cost per routed read. In a child process
 * (overhead.main.ts): `SELECT id, distance FROM rides WHERE id = $1` on a
 * bare `pg.Pool` to the first replica, and the same through the routing core
 * (`pgAdapter()`, default options: in-band check and connection proofs on)
 * configured with that replica alone and a token it has replayed (with and
 * without the cover); for reference, the bare read on a pool with the
 * library's pool settings, and the floor without and with the cover
 * (overhead.main.ts, `floorRead`); 8
 * connections each, 8 reads in flight; 6 rounds of 8,000 reads of each kind
 * (at most 5 s a batch), interleaved, the order rotating. Per kind: this
 * process's CPU per read, latency p50 and p99. Then 4 rounds of 1,500 reads
 * one at a time, for the latency of a read that queues behind nothing.
 * BENCH_OVERHEAD_PROFILE=<dir> then profiles one batch of each kind (not
 * counted) and names where the time went. Then (9c) the same in a second
 * child with AsyncLocalStorage carried the other way (async-context.runtime.ts):
 * on Node 22 its default promise hooks weigh on every promise.
 */
export async function libraryOverhead(ctx: BenchContext): Promise<LibraryOverhead> {
  const replica = ctx.replicas[0];
  if (!replica) throw new Error('section 9 needs a replica');
  const profileDir = process.env.BENCH_OVERHEAD_PROFILE
    ? resolve(process.env.BENCH_OVERHEAD_PROFILE)
    : null;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const config: OverheadConfig = {
    primaryUrl: ctx.primaryUrl,
    replica,
    connections: CONNECTIONS,
    rounds: ROUNDS,
    readsPerBatch: READS_PER_BATCH,
    batchTimeoutMs: BATCH_TIMEOUT_MS,
    warmupReads: 4_000,
    singleRounds: SINGLE_ROUNDS,
    singleReads: SINGLE_READS,
    rides: 1_000,
    profileDir,
  };
  ctx.say(
    `overhead: ${ROUNDS} rounds of ${fmt.int(READS_PER_BATCH)} reads bare and routed, ` +
      `${CONNECTIONS} connections, on ${replica.name}, in a child process`,
  );
  const child = (name: string, nodeOptions: string[], settings: OverheadConfig) =>
    runForResult<OverheadResult>({
      name,
      entry: resolve(__dirname, 'overhead.main.ts'),
      nodeOptions,
      env: { OVERHEAD_CONFIG: JSON.stringify(settings) },
      resultPrefix: OVERHEAD_RESULT,
      onChild: (stop) => ctx.cleanup.add(`${name} reads`, () => Promise.resolve(stop())),
    });
  const result = await child('overhead', [], config);
  printOverhead(result, replica.name);
  if (profileDir) ctx.say(`overhead: CPU profiles written to ${profileDir}`);
  const flip = contextFlip();
  if (!flip) {
    ctx.say(
      `overhead: Node ${process.versions.node} carries AsyncLocalStorage one way only (no 9c)`,
    );
    return { ...result, carrier: 'promise hooks', flipped: null };
  }
  ctx.say(`overhead: the same again with ${flip.flag} (AsyncLocalStorage on ${flip.other})`);
  const flipped = await child('overhead-flipped', [flip.flag], { ...config, profileDir: null });
  printContextCarriers(flip, result, flipped);
  return {
    ...result,
    carrier: flip.asRun,
    flipped: { ...flipped, carrier: flip.other, flag: flip.flag },
  };
}

/** Section 9's targets (informative: the bench asserts section 7's only). */
export function overheadTargets(r: LibraryOverhead): Target[] {
  const t = OVERHEAD_TARGETS;
  return [
    {
      id: '9',
      measure: 'library overhead: CPU per read, routed / bare pg.Pool',
      measured: `${fmt.ratio(r.cpuRatio)} (${fmt.num(r.routed.cpuUsPerRead)} / ${fmt.num(r.bare.cpuUsPerRead)} µs)`,
      target: `<= ${fmt.ratio(t.maxCpuRatio)}`,
      met: r.cpuRatio <= t.maxCpuRatio,
      values: {
        cpuRatio: r.cpuRatio,
        routedCpuUsPerRead: r.routed.cpuUsPerRead,
        bareCpuUsPerRead: r.bare.cpuUsPerRead,
      },
    },
    {
      id: '9',
      measure: '  p50 routed - bare, ms; replica share',
      measured: `${fmt.num(r.p50DeltaMs, 3)}; ${fmt.pct(r.routed.replicaShare)}`,
      target: `<= ${fmt.num(t.maxP50DeltaMs, 2)}; >= ${fmt.pct(t.minReplicaShare)}`,
      met:
        r.p50DeltaMs <= t.maxP50DeltaMs &&
        r.routed.replicaShare >= t.minReplicaShare &&
        r.routed.errors + r.bare.errors === 0,
      values: { p50DeltaMs: r.p50DeltaMs, replicaShare: r.routed.replicaShare },
    },
    ...(r.flipped ? [flippedTarget(r.flipped)] : []),
  ];
}

/** The same goals with AsyncLocalStorage carried the other way (9c). */
function flippedTarget(f: NonNullable<LibraryOverhead['flipped']>): Target {
  const t = OVERHEAD_TARGETS;
  return {
    id: '9',
    measure: `  on ${f.carrier} (${f.flag}): CPU ratio; p50 delta, ms`,
    measured: `${fmt.ratio(f.cpuRatio)}; ${fmt.num(f.p50DeltaMs, 3)}`,
    target: `<= ${fmt.ratio(t.maxCpuRatio)}; <= ${fmt.num(t.maxP50DeltaMs, 2)}`,
    met:
      f.cpuRatio <= t.maxCpuRatio &&
      f.p50DeltaMs <= t.maxP50DeltaMs &&
      f.routed.replicaShare >= t.minReplicaShare &&
      f.routed.errors + f.bare.errors === 0,
    values: { cpuRatio: f.cpuRatio, p50DeltaMs: f.p50DeltaMs },
  };
}

export function printOverhead(r: OverheadResult, replica: string): void {
  const t = OVERHEAD_TARGETS;
  const ms = (x: number) => fmt.num(x, 3);
  const spread = `${fmt.ratio(Math.min(...r.roundCpuRatios))} to ${fmt.ratio(Math.max(...r.roundCpuRatios))}`;
  const one = r.single;
  const u = r.uncovered;
  /** A latency row: bare, routed and its delta, the target, uncovered and its delta. */
  const latency = (label: string, key: 'p50Ms' | 'p99Ms', target: string) => [
    label,
    ms(r.bare[key]),
    ms(r.routed[key]),
    signedMs(r.routed[key] - r.bare[key]),
    target,
    ms(u[key]),
    signedMs(u[key] - r.bare[key]),
  ];
  const errors = [r.bare, r.routed, u, one.bare, one.routed].flatMap((v) =>
    v.firstError ? [`first error: ${v.firstError}`] : [],
  );
  console.log(
    renderTable({
      title:
        `9. Library overhead: \`${OVERHEAD_SQL}\` on ${replica}, ${r.connections} connections and ` +
        `${r.connections} reads in flight, ${r.rounds} interleaved rounds of ${fmt.int(r.readsPerBatch)}; ` +
        '"no cover": the routed read with `cover: false`, no position query behind it',
      columns: ['', 'bare pg.Pool', 'routed', 'routed vs bare', 'target', 'no cover', 'vs bare'],
      rows: [
        ['reads measured (errors)', reads(r.bare), reads(r.routed), '', '0 errors', reads(u), ''],
        [
          'CPU of the process per read, µs',
          fmt.num(r.bare.cpuUsPerRead),
          fmt.num(r.routed.cpuUsPerRead),
          fmt.ratio(r.cpuRatio),
          `<= ${fmt.ratio(t.maxCpuRatio)}`,
          fmt.num(u.cpuUsPerRead),
          fmt.ratio(u.cpuRatio),
        ],
        ['  the same per round', '', '', spread, '', '', ''],
        latency('latency p50, ms', 'p50Ms', '<= +0.100'),
        latency('latency p99, ms', 'p99Ms', ''),
        [
          'reads/s',
          fmt.int(r.bare.perSecond),
          fmt.int(r.routed.perSecond),
          fmt.ratio(r.routed.perSecond / r.bare.perSecond),
          '',
          fmt.int(u.perSecond),
          fmt.ratio(u.perSecond / r.bare.perSecond),
        ],
        [`served by ${replica}`, '100%', fmt.pct(r.routed.replicaShare), '', '~100%', '', ''],
        [
          'statements / round trips on the replica per read',
          '1 / 1',
          `${fmt.num(r.routed.statementsPerRead, 2)} / ${fmt.num(r.routed.roundTripsPerRead, 2)}`,
          '',
          '',
          '1 / 1',
          '',
        ],
        [
          `1 in flight (${fmt.int(one.routed.reads)} each): CPU µs per read`,
          fmt.num(one.bare.cpuUsPerRead),
          fmt.num(one.routed.cpuUsPerRead),
          fmt.ratio(one.cpuRatio),
          '',
          '',
          '',
        ],
        [
          '  latency p50 / p99, ms',
          `${ms(one.bare.p50Ms)} / ${ms(one.bare.p99Ms)}`,
          `${ms(one.routed.p50Ms)} / ${ms(one.routed.p99Ms)}`,
          `${signedMs(one.p50DeltaMs)} / ${signedMs(one.routed.p99Ms - one.bare.p99Ms)}`,
          '',
          '',
          '',
        ],
      ],
      notes: [...errors, ...(r.profile ? profileNotes(r.profile) : [])],
    }),
  );
  console.log(
    renderTable({
      title:
        "9b. Where the CPU goes, the same rounds: the bare read on a pool with the library's pool " +
        'settings (its timeouts, pipelining), "the floor", the least a router that lends a ' +
        'connection per read does (written out in the bench, not the library), and the floor ' +
        "with the library's cover under the read's Sync, the least a read does that learns the " +
        "replica's position as of the read",
      columns: ['', 'CPU µs per read', 'vs bare pg.Pool', 'p50 vs bare, ms', 'reads (errors)'],
      rows: overheadKinds(r).map((k) => [k.label, ...kindCells(k), reads(k.variant)]),
      notes: [r.settings, r.floor, r.coveredFloor].flatMap((v) =>
        v.firstError ? [`first error: ${v.firstError}`] : [],
      ),
    }),
  );
}

/** Where the time of one profiled batch of each kind went, µs per read. */
function profileNotes(p: NonNullable<OverheadResult['profile']>): string[] {
  const areas = (Object.keys(p.routed.areas) as (keyof ProfileAreas)[])
    .map((k) => `${AREA_NAMES[k]} ${fmt.num(p.routed.areas[k])} / ${fmt.num(p.bare.areas[k])}`)
    .join(', ');
  return [
    `profile of one batch each (wall-clock samples, idle left out), µs per read, routed / bare: ` +
      `${fmt.num(p.routed.usPerRead)} / ${fmt.num(p.bare.usPerRead)}`,
    `  by area: ${areas}`,
    'top self time, routed:',
    ...p.routed.top.map(line),
    'top self time in the library, routed:',
    ...p.routed.library.map(line),
  ];
}

const AREA_NAMES: Record<keyof ProfileAreas, string> = {
  library: 'library',
  pg: 'node-postgres',
  node: 'Node internals',
  writev: 'writev (incl. preempted)',
  gc: 'GC',
  other: 'other',
};

const reads = (v: { reads: number; errors: number }) => `${fmt.int(v.reads)} (${v.errors})`;
const line = (s: SelfTime) =>
  `  ${fmt.num(s.usPerRead).padStart(5)} µs  ${fmt.pct(s.share).padStart(6)}  ${s.fn}`;
