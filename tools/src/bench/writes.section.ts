import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { cpuSubjects, launchApi, type BenchApi } from './bench-api.launcher';
import type { BenchContext } from './bench.context';
import { CPU_LABEL, cpuCell, cpuMsPerRequest, type CpuUse, disturbedNotes } from './cpu.probe';
import { summarizeLatency } from './latency.summary';
import { warmThenMeasure } from './load.runner';
import {
  primaryTally,
  tallyGrowth,
  waitDisconnected,
  type PrimaryTally,
} from './primary-commits.probe';
import type { NodeCounters, RequestCost } from './replica-counters.probe';
import { createUser } from './riders.fixture';
import { firstErrors, fmt, renderTable } from './table.printer';

/** Postgres 15+ flushes an idle backend's pending statistics after 10 s (PGSTAT_IDLE_INTERVAL). */
const STATS_SETTLE_MS = 11_000;
const IDLE_WINDOW_MS = 3_000;

export interface Writes {
  posts: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  firstError: string | null;
  /** Growth of the primary's xact_commit per POST, the idle rate taken off. */
  commitsPerPost: number;
  /** Transaction ids taken per POST (transactions that wrote), the idle rate taken off. */
  writeTransactionsPerPost: number;
  /** Per second on the primary with the API idle (observer, status refreshes). */
  idlePerSec: PrimaryTally;
  /** Growth in the measured window, before taking the idle rate off. */
  raw: PrimaryTally;
  windowSeconds: number;
  cost: RequestCost;
  cpu: CpuUse;
}

/**
 * Section 3: POST /rides at full concurrency, each connection its own user;
 * then the primary's commits per POST from pg_stat_database. Postgres
 * publishes a backend's counts at most once a second, and an idle one's 10 s
 * later: so the window opens after 11 s of quiet and closes once the API has
 * exited (a backend publishes everything as it exits).
 */
export async function writes(ctx: BenchContext): Promise<Writes> {
  const { settings, cluster } = ctx;
  const api = await launchApi(ctx, { name: 'api-writes' });
  const measured = await measurePosts(ctx, api).finally(() => api.stop());
  if (!(await waitDisconnected(cluster, 'rocket-rides-api'))) {
    ctx.say('warning: API connections still open on the primary; commits may be undercounted');
  }
  const { run, window } = measured;
  const raw = tallyGrowth(window.start, await primaryTally(cluster));
  const seconds = (performance.now() - window.startedAt) / 1000;
  const perPost = (grown: number, idle: number) => (grown - idle * seconds) / run.samples.length;
  const ok = run.samples.filter((s) => s.ok);
  const latency = summarizeLatency(run.samples.map((s) => s.ms));
  const result: Writes = {
    posts: run.samples.length,
    reqPerSec: run.samples.length / (run.elapsedMs / 1000),
    p50Ms: latency.p50,
    p99Ms: latency.p99,
    errors: run.samples.length - ok.length,
    firstError: run.samples.find((s) => !s.ok)?.error ?? null,
    commitsPerPost: perPost(raw.commits, window.idle.commits),
    writeTransactionsPerPost: perPost(raw.nextXid, window.idle.nextXid),
    idlePerSec: window.idle,
    raw,
    windowSeconds: seconds,
    cost: api.counters.costPerRequest(measured.before, measured.after, run.samples.length),
    cpu: run.cpu,
  };
  console.log(
    renderTable({
      title: `3. Writes: POST /rides, ${settings.connections} connections, ${settings.seconds} s`,
      columns: ['', 'POST /rides'],
      rows: [
        ['requests', fmt.int(result.posts)],
        ['req/s', fmt.num(result.reqPerSec)],
        ['p50 ms', fmt.num(result.p50Ms, 2)],
        ['p99 ms', fmt.num(result.p99Ms, 2)],
        ['errors (non-201)', fmt.int(result.errors)],
        ['primary commits / POST (xact_commit)', fmt.num(result.commitsPerPost, 2)],
        ['  of which write transactions (xids)', fmt.num(result.writeTransactionsPerPost, 2)],
        ['primary statements / POST', fmt.num(result.cost.primary.statements, 2)],
        ['primary round trips / POST', fmt.num(result.cost.primary.roundTrips, 2)],
        [CPU_LABEL, cpuCell(result.cpu)],
        ['API CPU ms / POST', fmt.num(cpuMsPerRequest(result.cpu.api, result.reqPerSec), 2)],
        [
          'Postgres CPU ms / POST',
          fmt.num(cpuMsPerRequest(result.cpu.postgres, result.reqPerSec), 2),
        ],
      ],
      notes: [
        `on the primary in ${fmt.num(seconds)} s: xact_commit +${fmt.int(raw.commits)}, transaction ids +${fmt.int(raw.nextXid)}, less the`,
        `  idle rate (API up and idle: observer, status refreshes: ${fmt.num(window.idle.commits)} commits/s, ${fmt.num(window.idle.nextXid)} ids/s)`,
        `  measured over ${IDLE_WINDOW_MS / 1000} s before the phase. A statement outside a transaction (a SELECT) is a commit`,
        '  too; only transactions that wrote take an id. The POSTs send no Consistency-Token.',
        ...disturbedNotes([result.cpu]),
        ...firstErrors([result]),
      ],
    }),
  );
  return result;
}

interface PostSample {
  ms: number;
  ok: boolean;
  error: string | null;
}

/** Warm-up, the quiet wait and the idle rate, then the measured POSTs. */
async function measurePosts(ctx: BenchContext, api: BenchApi) {
  const { settings, cluster } = ctx;
  const users = await Promise.all(
    Array.from({ length: settings.connections }, () => createUser(api.client, 'writer')),
  );
  let before: NodeCounters[] = [];
  const zero = { commits: 0, nextXid: 0 };
  const window = { start: zero, idle: zero, startedAt: 0 };
  ctx.say(`${settings.connections} connections, POST /rides`);
  const run = await warmThenMeasure(
    {
      connections: users.length,
      durationMs: settings.seconds * 1000,
      warmupMs: settings.warmupMs,
      maxSteps: settings.maxRequestsPerPhase,
    },
    async (w): Promise<PostSample> => {
      const distance = Math.round((5 + Math.random() * 995) * 10) / 10;
      const response = await api.client.send('POST', '/rides', users[w], { distance });
      const ok = response.status === 201;
      return {
        ms: response.ms,
        ok,
        error: ok ? null : `${response.status || response.error} ${response.body.slice(0, 200)}`,
      };
    },
    {
      cpu: cpuSubjects(ctx, api),
      between: async () => {
        ctx.say(
          `waiting ${(STATS_SETTLE_MS + IDLE_WINDOW_MS) / 1000} s with the API idle: statistics settle, then the idle commit rate`,
        );
        await sleep(STATS_SETTLE_MS);
        const idleStart = await primaryTally(cluster);
        const idleStartedAt = performance.now();
        await sleep(IDLE_WINDOW_MS);
        before = await api.counters.snapshot();
        window.start = await primaryTally(cluster);
        window.startedAt = performance.now();
        const idleSeconds = (window.startedAt - idleStartedAt) / 1000;
        const idle = tallyGrowth(idleStart, window.start);
        window.idle = { commits: idle.commits / idleSeconds, nextXid: idle.nextXid / idleSeconds };
      },
    },
  );
  const after = await api.counters.snapshot();
  return { run, before, after, window };
}
