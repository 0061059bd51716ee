/**
 * Section 9's reads, in a child process of the bench (whose own process runs
 * the observer, which would be charged to whichever phase it ticked in).
 * Configured by OVERHEAD_CONFIG (JSON, OverheadConfig): the same small
 * primary-key read, on a bare `pg.Pool` to one replica and through the
 * routing core (`pgAdapter()`, default options) pinned to that replica,
 * and, for reference, on a pool with the core's pool settings and through
 * {@link floorRead}, in interleaved batches; this process's CPU
 * (`process.cpuUsage()`) and each read's latency per batch. Prints one line,
 * `OVERHEAD_RESULT <json>` (OverheadResult), and exits.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, type PoolConfig } from 'pg';
import { formatLsn, type Position } from '@app/replica-routing';
import { pgAdapter, type PgHandle } from '@app/replica-routing/pg';
import { createRoutingParts, type RoutingParts } from '@app/replica-routing/replica-routing';
import { sendCovered } from '@app/replica-routing/postgres/covered-query';
import { REPLAY_POSITION_STATEMENT, replayOfRows } from '@app/replica-routing/postgres/wal.queries';
import { ROOT } from '../cluster/launcher.command';
import { summarizeLatency } from './latency.summary';
import { profiled, summarizeProfile, type ProfileSummary } from './overhead.profile';

export interface OverheadConfig {
  primaryUrl: string;
  replica: { name: string; url: string };
  /** Pool size of both, and reads in flight (one per worker). */
  connections: number;
  /** Rounds of one batch of each kind, the order rotating. */
  rounds: number;
  readsPerBatch: number;
  /** A batch stops early after this long (reads done count). */
  batchTimeoutMs: number;
  /** Reads of each kind before measuring (connections opened and proven, code warm). */
  warmupReads: number;
  /** Then rounds of reads one at a time (1 in flight), the order alternating: latency unqueued. */
  singleRounds: number;
  singleReads: number;
  /** Rides written to read back (ids cycled). */
  rides: number;
  /** Where to write a CPU profile of one routed and one bare batch after measuring; null: none. */
  profileDir: string | null;
}

/** One kind of read over every measured batch. */
export interface OverheadVariant {
  /** Reads done (failed ones included). */
  reads: number;
  errors: number;
  firstError: string | null;
  /** This process's CPU time (user + system) per read, µs. */
  cpuUsPerRead: number;
  /** Reads per second of wall time. */
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface OverheadResult {
  connections: number;
  rounds: number;
  readsPerBatch: number;
  bare: OverheadVariant;
  routed: OverheadVariant & {
    /** Routed reads the pinned replica served. */
    replicaShare: number;
    /** Statements and round trips on the replica per routed read (the library's counts). */
    statementsPerRead: number;
    roundTripsPerRead: number;
  };
  /** The routed read with `cover: false` (no position query behind it): the routing alone. */
  uncovered: OverheadVariant & { cpuRatio: number; p50DeltaMs: number };
  /** The bare read on a pool with the library's pool settings (its timeouts, pipelining). */
  settings: OverheadVariant & { cpuRatio: number; p50DeltaMs: number };
  /** {@link floorRead}: the least a router that lends a connection per read does (not the library). */
  floor: OverheadVariant & { cpuRatio: number; p50DeltaMs: number };
  /** The floor with the library's cover under the read's Sync, its answer parsed: the least a covered read does. */
  coveredFloor: OverheadVariant & { cpuRatio: number; p50DeltaMs: number };
  /** CPU per read, routed over bare, over all batches; and per round. */
  cpuRatio: number;
  roundCpuRatios: number[];
  p50DeltaMs: number;
  p99DeltaMs: number;
  /** The same reads one at a time: nothing queues behind the CPU, so latency is the read's own. */
  single: { bare: OverheadVariant; routed: OverheadVariant; cpuRatio: number; p50DeltaMs: number };
  profile: { routed: ProfileSummary; bare: ProfileSummary } | null;
}

export const OVERHEAD_RESULT = 'OVERHEAD_RESULT ';
export const OVERHEAD_SQL = 'SELECT id, distance FROM rides WHERE id = $1';

interface Batch {
  reads: number;
  errors: number;
  firstError: string | null;
  cpuUs: number;
  wallMs: number;
  latencies: Float64Array;
}

/** `n` reads, `workers` at a time, for at most `timeoutMs`; this process's CPU and each read's latency. */
async function batch(
  n: number,
  workers: number,
  timeoutMs: number,
  ids: readonly string[],
  read: (id: string) => Promise<void>,
): Promise<Batch> {
  const latencies = new Float64Array(n);
  let next = 0;
  let done = 0;
  let errors = 0;
  let firstError: string | null = null;
  const deadline = performance.now() + timeoutMs;
  const worker = async () => {
    for (let i = next++; i < n && performance.now() < deadline; i = next++) {
      const started = performance.now();
      try {
        await read(ids[i % ids.length]!);
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
      latencies[done++] = performance.now() - started;
    }
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: workers }, worker));
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    reads: done,
    errors,
    firstError,
    cpuUs: used.user + used.system,
    wallMs,
    latencies: latencies.subarray(0, done),
  };
}

function variant(batches: readonly Batch[]): OverheadVariant {
  const reads = batches.reduce((s, b) => s + b.reads, 0);
  const all: number[] = [];
  for (const b of batches) for (const ms of b.latencies) all.push(ms);
  const { p50, p99 } = summarizeLatency(all);
  return {
    reads,
    errors: batches.reduce((s, b) => s + b.errors, 0),
    firstError: batches.find((b) => b.firstError)?.firstError ?? null,
    cpuUsPerRead: batches.reduce((s, b) => s + b.cpuUs, 0) / reads,
    perSecond: reads / (batches.reduce((s, b) => s + b.wallMs, 0) / 1000),
    p50Ms: p50,
    p99Ms: p99,
  };
}

export async function measureOverhead(config: OverheadConfig): Promise<OverheadResult> {
  const { replica, connections: workers } = config;
  const bare = new Pool({ connectionString: replica.url, max: workers });
  bare.on('error', () => undefined);
  const pools = [bare];
  const routing = createRoutingParts(
    { primary: { url: config.primaryUrl }, replicas: [replica], poolSize: workers },
    pgAdapter(),
  );
  try {
    await routing.start();
    const { ids, position } = await seed(routing, config.rides);
    await replayed(bare, routing, replica.name, position);

    const expectRow = (rows: unknown[]) => {
      if (rows.length !== 1) throw new Error(`a read found ${rows.length} rows, not 1`);
    };
    let onReplica = 0;
    const bareRead = async (id: string) => expectRow((await bare.query(OVERHEAD_SQL, [id])).rows);
    const routedRead = async (id: string) => {
      const { result, servedBy } = await routing.router.read((db) => db.query(OVERHEAD_SQL, [id]), {
        token: position,
      });
      if (servedBy === replica.name) onReplica++;
      expectRow(result.rows);
    };
    // The same without the cover (the position query sent behind the read): the routing alone.
    const uncoveredRead = async (id: string) => {
      const { result } = await routing.router.read((db) => db.query(OVERHEAD_SQL, [id]), {
        token: position,
        cover: false,
      });
      expectRow(result.rows);
    };
    // The same read on a pool with the library's settings for the replica's pool, and the floor on it.
    const libraryPool = (await routing.registry.get(replica.name)) as Pool & {
      options: PoolConfig;
    };
    // pg-pool keeps the password out of its options' enumerable keys: copied by name.
    const { password } = libraryPool.options;
    const settings = new Pool({ ...libraryPool.options, password });
    settings.on('error', () => undefined);
    pools.push(settings);
    const settingsRead = async (id: string) =>
      expectRow((await settings.query(OVERHEAD_SQL, [id])).rows);
    const floor = floorRead(settings, replica.name, position);
    const floorOnly = async (id: string) => expectRow((await floor(id)).rows);
    const coveredFloor = floorRead(settings, replica.name, position, true);
    const coveredFloorOnly = async (id: string) => expectRow((await coveredFloor(id)).rows);
    const run = (
      read: (id: string) => Promise<void>,
      n = config.readsPerBatch,
      inFlight = workers,
    ) => batch(n, inFlight, config.batchTimeoutMs, ids, read);
    const count = routing.registry.queryCount(replica.name);
    /**
     * `rounds` of one batch of each kind, the order rotating (each kind
     * opens a round in turn); per kind, its batches, and the statements and round
     * trips the library counted on the replica during them.
     */
    const interleaved = async (
      kinds: ((id: string) => Promise<void>)[],
      rounds: number,
      n: number,
      inFlight: number,
    ) => {
      const out = kinds.map(() => ({ batches: [] as Batch[], statements: 0, roundTrips: 0 }));
      for (let round = 0; round < rounds; round++)
        for (let k = 0; k < kinds.length; k++) {
          const kind = (round + k) % kinds.length;
          const before = { ...count };
          out[kind]!.batches.push(await run(kinds[kind]!, n, inFlight));
          out[kind]!.statements += count.total - before.total;
          out[kind]!.roundTrips += count.roundTrips - before.roundTrips;
        }
      return out;
    };

    await run(bareRead, config.warmupReads);
    await run(routedRead, config.warmupReads);
    await run(uncoveredRead, config.warmupReads);
    await run(settingsRead, config.warmupReads);
    await run(floorOnly, config.warmupReads);
    await run(coveredFloorOnly, config.warmupReads);
    onReplica = 0;
    const [bares, routeds, uncovereds, settingses, floors, coveredFloors] = await interleaved(
      [bareRead, routedRead, uncoveredRead, settingsRead, floorOnly, coveredFloorOnly],
      config.rounds,
      config.readsPerBatch,
      workers,
    );
    const b = variant(bares!.batches);
    const r = variant(routeds!.batches);
    const u = variant(uncovereds!.batches);
    /** `v`'s CPU per read over `base`'s, and its p50 minus `base`'s. */
    const vs = (v: OverheadVariant, base: OverheadVariant) => ({
      cpuRatio: v.cpuUsPerRead / base.cpuUsPerRead,
      p50DeltaMs: v.p50Ms - base.p50Ms,
    });
    const against = (v: OverheadVariant) => ({ ...v, ...vs(v, b) });
    const replicaShare = onReplica / r.reads;
    const [oneBare, oneRouted] = await interleaved(
      [bareRead, routedRead],
      config.singleRounds,
      config.singleReads,
      1,
    );
    const single = { bare: variant(oneBare!.batches), routed: variant(oneRouted!.batches) };
    const perRead = (x: Batch) => x.cpuUs / x.reads;
    const result: OverheadResult = {
      connections: workers,
      rounds: config.rounds,
      readsPerBatch: config.readsPerBatch,
      bare: b,
      routed: {
        ...r,
        replicaShare,
        statementsPerRead: routeds!.statements / r.reads,
        roundTripsPerRead: routeds!.roundTrips / r.reads,
      },
      uncovered: against(u),
      settings: against(variant(settingses!.batches)),
      floor: against(variant(floors!.batches)),
      coveredFloor: against(variant(coveredFloors!.batches)),
      ...vs(r, b),
      roundCpuRatios: routeds!.batches.map((x, i) => perRead(x) / perRead(bares!.batches[i]!)),
      p99DeltaMs: r.p99Ms - b.p99Ms,
      single: { ...single, ...vs(single.routed, single.bare) },
      profile: null,
    };
    if (config.profileDir) {
      // After measuring, not counted: the profiler's own cost would weigh on both.
      const dir = config.profileDir;
      const summary = async (name: string, read: (id: string) => Promise<void>) => {
        const { profile, result: done } = await profiled(dir, `overhead-${name}`, () => run(read));
        return summarizeProfile(profile, done.reads, ROOT, 6);
      };
      result.profile = {
        routed: await summary('routed', routedRead),
        bare: await summary('bare', bareRead),
      };
    }
    return result;
  } finally {
    await routing.close();
    await Promise.all(pools.map((pool) => pool.end()));
  }
}

/**
 * The floor: the least that any router lending a connection per read does,
 * written out here (it is not the library): its scope from an
 * AsyncLocalStorage, a choice by a known position, a connection checked out of
 * `pool` and given back, the query, a result naming the node. What the
 * library costs above it is its own: plan, breaker, proofs, the view of the
 * connection, its counters and promises. The choice is made as a router
 * makes it; with `known` replayed it is always the replica, `pool`.
 *
 * With `covered`, the floor of a read that also learns the replica's position
 * as of the read (what the library's default read needs for monotonic reads):
 * the library's cover statement under the read's own Sync (`sendCovered`, one
 * node-postgres query), and its answer parsed. Nothing else of the library.
 */
function floorRead(pool: Pool, replica: string, known: Position, covered = false) {
  // No scope is entered (as for the library's reads here): the lookup is what every read pays.
  const scopes = new AsyncLocalStorage<{ position: Position }>();
  // Counted as a router counts its reads; nobody reads the counts here.
  const served = new Map<string, number>();
  return async (id: string) => {
    const need = scopes.getStore()?.position.lsn ?? known.lsn;
    const node = known.lsn >= need ? replica : 'primary';
    const client = await pool.connect();
    let result: { rows: unknown[] };
    let position = known;
    try {
      if (covered) {
        const sent = sendCovered(client, [OVERHEAD_SQL, [id]], REPLAY_POSITION_STATEMENT)!;
        result = (await sent.result) as { rows: unknown[] };
        const answer = await sent.cover();
        if (!answer) throw new Error('the cover gave no answer');
        const seen = replayOfRows(answer.rows);
        position = { tli: seen.tli, lsn: seen.lsn ?? known.lsn };
      } else result = await client.query(OVERHEAD_SQL, [id]);
    } finally {
      client.release();
    }
    served.set(node, (served.get(node) ?? 0) + 1);
    return { rows: result.rows, servedBy: node, position };
  };
}

/** A user and `count` rides, written through the core; their ids and the write's position. */
async function seed(
  routing: RoutingParts<PgHandle>,
  count: number,
): Promise<{ ids: string[]; position: Position }> {
  const written = await routing.router.write(async (db) => {
    const { rows } = await db.query<{ id: string }>(
      `WITH u AS (INSERT INTO users (email) VALUES ($1) RETURNING id)
       , r AS (INSERT INTO rides (user_id, distance)
               SELECT u.id, (1 + g % 50 / 10.0)::numeric(9, 1) FROM u, generate_series(1, $2::int) g
               RETURNING id, user_id, distance)
       , e AS (INSERT INTO log_outbox (type, version, payload)
               SELECT 'ride.created', 1,
                      jsonb_build_object('ride_id', id, 'user_id', user_id, 'distance', distance::text)
                 FROM r)
       SELECT id::text AS id FROM r`,
      [`bench-overhead-${randomUUID()}@example.com`, count],
    );
    return rows.map((row) => row.id);
  });
  if (!written.position) throw new Error('the write returned no position');
  return { ids: written.result, position: written.position };
}

/**
 * Waits until the replica has replayed `position` (asked on the bare pool)
 * and the core knows it (the observer's status table, refreshed): the
 * routed reads then go to the replica by knowledge, not by a guess.
 */
async function replayed(
  bare: Pool,
  routing: RoutingParts<PgHandle>,
  name: string,
  position: Position,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  const lsn = formatLsn(position.lsn);
  for (;;) {
    const { rows } = await bare.query<{ ok: boolean }>(
      'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok',
      [lsn],
    );
    const known = routing.state.candidates().find((c) => c.name === name)?.lsn ?? null;
    if (rows[0]?.ok && known !== null && known >= position.lsn) return;
    if (Date.now() > deadline)
      throw new Error(`${name} did not replay ${lsn}, or the core did not learn it, within 30 s`);
    await routing.refresher.refresh();
    await sleep(50);
  }
}

if (require.main === module) {
  measureOverhead(JSON.parse(process.env.OVERHEAD_CONFIG ?? '') as OverheadConfig).then(
    (result) => {
      process.stdout.write(`${OVERHEAD_RESULT}${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    },
  );
}
