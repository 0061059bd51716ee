import { cpuSubjects, type BenchApi } from './bench-api.launcher';
import type { BenchContext } from './bench.context';
import { CPU_LABEL, cpuCell, cpuMsPerRequest, type CpuUse } from './cpu.probe';
import { header } from './http.client';
import { summarizeLatency } from './latency.summary';
import { warmThenMeasure } from './load.runner';
import type { NodeCounters, RequestCost } from './replica-counters.probe';
import type { Rider } from './riders.fixture';
import { routedReads } from './routed-reads.probe';
import { fmt } from './table.printer';

/** One measured phase of GET /rides/:id. */
export interface ReadPhase {
  requests: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Share of 200s whose `Served-By` names a replica. */
  replicaShare: number;
  /** Anything but a 200. */
  errors: number;
  firstError: string | null;
  /** Statements and round trips per request, to the primary and to the replicas. */
  cost: RequestCost;
  /** Reads the router served per request (`replica_routing_reads_total`); null if not exported. */
  readsPerRequest: number | null;
  cpu: CpuUse;
  /** Every request's latency, to merge rounds (see {@link mergeReadPhases}); not enumerable, never written out. */
  readonly latenciesMs?: number[];
}

interface ReadSample {
  ms: number;
  ok: boolean;
  replica: boolean;
  error: string | null;
}

/**
 * Connection `w` reads its rider's own ride, `GET /rides/:id`, with the
 * ride's `Consistency-Token` (or without), over and over: warm-up, then one
 * measured phase of BENCH_SECONDS.
 */
export async function measureOwnRideReads(
  ctx: BenchContext,
  api: BenchApi,
  riders: readonly Rider[],
  withToken: boolean,
  seconds = ctx.settings.seconds,
): Promise<ReadPhase> {
  const { settings } = ctx;
  const headers = riders.map((r) =>
    withToken ? { ...r.auth, 'consistency-token': r.token } : r.auth,
  );
  let before: NodeCounters[] = [];
  let readsBefore: number | null = null;
  const run = await warmThenMeasure(
    {
      connections: riders.length,
      durationMs: seconds * 1000,
      warmupMs: settings.warmupMs,
      maxSteps: settings.maxRequestsPerPhase,
    },
    async (w): Promise<ReadSample> => {
      const response = await api.client.send('GET', `/rides/${riders[w]!.rideId}`, headers[w]);
      const servedBy = header(response, 'served-by');
      const ok = response.status === 200;
      return {
        ms: response.ms,
        ok,
        replica: ok && servedBy !== undefined && servedBy !== 'primary',
        error: ok ? null : `${response.status || response.error} ${response.body.slice(0, 200)}`,
      };
    },
    {
      cpu: cpuSubjects(ctx, api),
      between: async () => {
        before = await api.counters.snapshot();
        readsBefore = await routedReads(api.client);
      },
    },
  );
  const readsAfter = await routedReads(api.client);
  const after = await api.counters.snapshot();
  const ok = run.samples.filter((s) => s.ok);
  const latency = summarizeLatency(run.samples.map((s) => s.ms));
  const phase: ReadPhase = {
    requests: run.samples.length,
    reqPerSec: run.samples.length / (run.elapsedMs / 1000),
    p50Ms: latency.p50,
    p99Ms: latency.p99,
    replicaShare: ok.length ? ok.filter((s) => s.replica).length / ok.length : 0,
    errors: run.samples.length - ok.length,
    firstError: run.samples.find((s) => !s.ok)?.error ?? null,
    cost: api.counters.costPerRequest(before, after, run.samples.length),
    readsPerRequest:
      readsBefore === null || readsAfter === null || run.samples.length === 0
        ? null
        : (readsAfter - readsBefore) / run.samples.length,
    cpu: run.cpu,
  };
  // Not enumerable: JSON results leave it out.
  return Object.defineProperty(phase, 'latenciesMs', {
    value: run.samples.map((s) => s.ms),
    enumerable: false,
  });
}

/**
 * Rounds of one variant as one phase: requests and errors added up, req/s
 * over the rounds' time, percentiles over every request, per-request costs
 * weighted by requests, CPU by time. Without its latencies.
 */
export function mergeReadPhases(rounds: readonly ReadPhase[]): ReadPhase {
  const requests = rounds.reduce((n, r) => n + r.requests, 0);
  const secondsOf = (r: ReadPhase) => (r.reqPerSec > 0 ? r.requests / r.reqPerSec : 0);
  const seconds = rounds.reduce((n, r) => n + secondsOf(r), 0);
  const mean = (value: (r: ReadPhase) => number | null, weight: (r: ReadPhase) => number) => {
    let total = 0;
    let weights = 0;
    for (const r of rounds) {
      const v = value(r);
      if (v === null) return null;
      total += v * weight(r);
      weights += weight(r);
    }
    return weights > 0 ? total / weights : 0;
  };
  const perRequest = (value: (r: ReadPhase) => number | null) => mean(value, (r) => r.requests);
  const perSecond = (value: (r: ReadPhase) => number | null) => mean(value, secondsOf);
  const kind = (k: 'primary' | 'replicas') => ({
    statements: perRequest((r) => r.cost[k].statements) ?? 0,
    allStatements: perRequest((r) => r.cost[k].allStatements) ?? 0,
    roundTrips: perRequest((r) => r.cost[k].roundTrips),
  });
  const latency = summarizeLatency(rounds.flatMap((r) => r.latenciesMs ?? []));
  return {
    requests,
    reqPerSec: seconds > 0 ? requests / seconds : 0,
    p50Ms: latency.p50,
    p99Ms: latency.p99,
    replicaShare: perRequest((r) => r.replicaShare) ?? 0,
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    firstError: rounds.find((r) => r.firstError !== null)?.firstError ?? null,
    cost: { primary: kind('primary'), replicas: kind('replicas') },
    readsPerRequest: perRequest((r) => r.readsPerRequest),
    cpu: {
      api: perSecond((r) => r.cpu.api),
      client: perSecond((r) => r.cpu.client) ?? 0,
      postgres: perSecond((r) => r.cpu.postgres),
      machine: perSecond((r) => r.cpu.machine),
    },
  };
}

/** Routed round trips per read: to every node, per request, over the reads per request. */
export function roundTripsPerRead(phase: ReadPhase, assumedReadsPerRequest: number): number | null {
  const { primary, replicas } = phase.cost;
  if (primary.roundTrips === null || replicas.roundTrips === null) return null;
  return (
    (primary.roundTrips + replicas.roundTrips) / (phase.readsPerRequest ?? assumedReadsPerRequest)
  );
}

/** The rows of a read phase in a side-by-side table, one column per phase. */
export function readPhaseRows(phases: readonly ReadPhase[]): string[][] {
  const row = (label: string, cell: (p: ReadPhase) => string) => [label, ...phases.map(cell)];
  return [
    row('requests', (p) => fmt.int(p.requests)),
    row('req/s', (p) => fmt.num(p.reqPerSec)),
    row('p50 ms', (p) => fmt.num(p.p50Ms, 2)),
    row('p99 ms', (p) => fmt.num(p.p99Ms, 2)),
    row('replica share (Served-By)', (p) => fmt.pct(p.replicaShare)),
    row('errors (non-200)', (p) => fmt.int(p.errors)),
    row('primary statements / req', (p) => fmt.num(p.cost.primary.statements, 3)),
    row('primary round trips / req', (p) => fmt.num(p.cost.primary.roundTrips, 3)),
    row('replica statements / req', (p) => fmt.num(p.cost.replicas.statements, 3)),
    row('replica round trips / req', (p) => fmt.num(p.cost.replicas.roundTrips, 3)),
    row('routed reads / req', (p) => fmt.num(p.readsPerRequest, 2)),
    row(CPU_LABEL, (p) => cpuCell(p.cpu)),
    row('API CPU ms / req', (p) => fmt.num(cpuMsPerRequest(p.cpu.api, p.reqPerSec), 2)),
    row('Postgres CPU ms / req', (p) => fmt.num(cpuMsPerRequest(p.cpu.postgres, p.reqPerSec), 2)),
  ];
}
