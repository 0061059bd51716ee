import { cpuSubjects, withApi, type BenchApi } from './bench-api.launcher';
import type { BenchContext } from './bench.context';
import { CPU_LABEL, cpuCell, cpuMsPerRequest, type CpuUse, disturbedNotes } from './cpu.probe';
import { header } from './http.client';
import { summarizeLatency } from './latency.summary';
import { warmThenMeasure } from './load.runner';
import { createUser } from './riders.fixture';
import { firstErrors, fmt, renderTable } from './table.printer';

/** One measured phase of write-then-read pairs. */
export interface ReadAfterWritePhase {
  /** POST then GET pairs completed (or failed). */
  pairs: number;
  pairsPerSec: number;
  getP50Ms: number;
  getP99Ms: number;
  postP50Ms: number;
  postP99Ms: number;
  /** Share of the 200 GETs whose `Served-By` names a replica. */
  replicaShare: number;
  /** A 404, or a ride with another distance, for a ride the client had just created. */
  stale: number;
  staleExamples: string[];
  /** Failed POSTs and GETs that were neither 200 nor stale. */
  errors: number;
  firstError: string | null;
  cpu: CpuUse;
}

export interface ReadAfterWrite {
  routed: ReadAfterWritePhase;
  primaryOnly: ReadAfterWritePhase;
  /** routed GET p50 minus primary-only GET p50. */
  p50DeltaMs: number;
}

interface PairSample {
  postMs: number | null;
  getMs: number | null;
  replica: boolean;
  stale: string | null;
  error: string | null;
}

/**
 * Section 2: each connection, as its own user, writes a ride and reads it back
 * at once with the write's token, REPLICA_WAIT_MS=0; routed, then with every
 * read on the primary.
 */
export async function readAfterWrite(ctx: BenchContext): Promise<ReadAfterWrite> {
  const n = ctx.settings.connections;
  const run = (name: string, settings: Record<string, string>, what: string) =>
    withApi(ctx, { name, settings: { REPLICA_WAIT_MS: '0', ...settings } }, (api) => {
      ctx.say(`${n} connections: POST /rides, then at once GET /rides/:id with its token, ${what}`);
      return measurePairs(ctx, api);
    });
  const routed = await run('api-raw-routed', {}, 'routed');
  const primaryOnly = await run('api-raw-primary', { PRIMARY_READ_SHARE: '1' }, 'primary only');
  const result = { routed, primaryOnly, p50DeltaMs: routed.getP50Ms - primaryOnly.getP50Ms };
  const row = (label: string, cell: (p: ReadAfterWritePhase) => string) => [
    label,
    cell(routed),
    cell(primaryOnly),
  ];
  console.log(
    renderTable({
      title: `2. Read right after write: POST /rides then GET /rides/:id with its token, ${n} users, REPLICA_WAIT_MS=0, ${ctx.settings.seconds} s each`,
      columns: ['', 'routed', 'primary only'],
      rows: [
        row('STALE READS (must be 0)', (p) => fmt.int(p.stale)),
        row('write+read pairs', (p) => fmt.int(p.pairs)),
        row('pairs/s', (p) => fmt.num(p.pairsPerSec)),
        row('GET replica share', (p) => fmt.pct(p.replicaShare)),
        row('GET p50 ms', (p) => fmt.num(p.getP50Ms, 2)),
        row('GET p99 ms', (p) => fmt.num(p.getP99Ms, 2)),
        row('POST p50 ms', (p) => fmt.num(p.postP50Ms, 2)),
        row('POST p99 ms', (p) => fmt.num(p.postP99Ms, 2)),
        row('errors', (p) => fmt.int(p.errors)),
        row(CPU_LABEL, (p) => cpuCell(p.cpu)),
        row('API CPU ms / pair', (p) => fmt.num(cpuMsPerRequest(p.cpu.api, p.pairsPerSec), 2)),
        row('Postgres CPU ms / pair', (p) =>
          fmt.num(cpuMsPerRequest(p.cpu.postgres, p.pairsPerSec), 2),
        ),
      ],
      notes: [
        `GET p50, routed minus primary only: ${fmt.num(result.p50DeltaMs, 2)} ms`,
        `stale reads: ${routed.stale + primaryOnly.stale === 0 ? 'NONE' : `${routed.stale + primaryOnly.stale} STALE READS`}`,
        ...[...routed.staleExamples, ...primaryOnly.staleExamples].map((e) => `stale: ${e}`),
        ...disturbedNotes([routed.cpu, primaryOnly.cpu]),
        ...firstErrors([routed, primaryOnly]),
      ],
    }),
  );
  return result;
}

async function measurePairs(ctx: BenchContext, api: BenchApi): Promise<ReadAfterWritePhase> {
  const { settings } = ctx;
  const users = await Promise.all(
    Array.from({ length: settings.connections }, () => createUser(api.client, 'writer-reader')),
  );
  const run = await warmThenMeasure(
    {
      connections: users.length,
      durationMs: settings.seconds * 1000,
      warmupMs: settings.warmupMs,
      maxSteps: settings.maxRequestsPerPhase,
    },
    (w) => writeThenRead(api, users[w]!),
    { cpu: cpuSubjects(ctx, api) },
  );
  const samples = run.samples;
  const gets = samples.filter((s) => s.getMs !== null && s.error === null && s.stale === null);
  const getLatency = summarizeLatency(gets.map((s) => s.getMs!));
  const postLatency = summarizeLatency(
    samples.flatMap((s) => (s.postMs === null ? [] : [s.postMs])),
  );
  // The warm-up's pairs are not measured, but a stale read among them is one all the same.
  const stale = [...run.warmupSamples, ...samples].filter((s) => s.stale !== null);
  const failed = samples.filter((s) => s.error !== null);
  return {
    pairs: samples.length,
    pairsPerSec: samples.length / (run.elapsedMs / 1000),
    getP50Ms: getLatency.p50,
    getP99Ms: getLatency.p99,
    postP50Ms: postLatency.p50,
    postP99Ms: postLatency.p99,
    replicaShare: gets.length ? gets.filter((s) => s.replica).length / gets.length : 0,
    stale: stale.length,
    staleExamples: stale.slice(0, 3).map((s) => s.stale!),
    errors: failed.length,
    firstError: failed[0]?.error ?? null,
    cpu: run.cpu,
  };
}

async function writeThenRead(api: BenchApi, auth: Record<string, string>): Promise<PairSample> {
  const distance = Math.round((5 + Math.random() * 995) * 10) / 10;
  const post = await api.client.send('POST', '/rides', auth, { distance });
  const token = header(post, 'consistency-token');
  if (post.status !== 201 || !token) {
    const why = `POST ${post.status || post.error}${token ? '' : ' (no token)'} ${post.body.slice(0, 200)}`;
    return { postMs: post.ms, getMs: null, replica: false, stale: null, error: why };
  }
  const written = JSON.parse(post.body) as { id: number };
  const get = await api.client.send('GET', `/rides/${written.id}`, {
    ...auth,
    'consistency-token': token,
  });
  const servedBy = header(get, 'served-by');
  const sample = {
    postMs: post.ms,
    getMs: get.ms,
    replica: servedBy !== undefined && servedBy !== 'primary',
  };
  if (get.status === 404) {
    return { ...sample, stale: `ride ${written.id}: 404 from ${servedBy ?? '?'}`, error: null };
  }
  if (get.status !== 200) {
    return {
      ...sample,
      stale: null,
      error: `GET ${get.status || get.error} ${get.body.slice(0, 200)}`,
    };
  }
  const read = JSON.parse(get.body) as { id: number; distance: number };
  // Against the distance sent, not the POST's echo of it: a ride stored wrong is stale too.
  const stale =
    read.id !== written.id || read.distance !== distance
      ? `ride ${written.id}: distance ${read.distance} from ${servedBy ?? '?'}, sent ${distance}`
      : null;
  return { ...sample, stale, error: null };
}
