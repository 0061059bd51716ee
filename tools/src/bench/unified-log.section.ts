import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { clusterEnv } from '../cluster/private-cluster';
import { envNumber } from '../process/env.number';
import { LogStack } from '../stack/log.stack';
import { launchApi } from './bench-api.launcher';
import type { BenchContext } from './bench.context';
import { createUser } from './riders.fixture';
import { fmt, renderTable } from './table.printer';

/** Rides per second the latency phase aims at (section 8's target load; BENCH_LOG_RATE, a multiple of 100). */
const TARGET_RATE = envNumber('BENCH_LOG_RATE', 300, { min: 1, max: 100_000 });
const DRAIN_RECORDS = 100_000;

export interface UnifiedLogBench {
  /** Rides per second the API took during the latency phase. */
  rate: number;
  rides: number;
  /** Commit-to-apply latency per consumer, from its histogram (bucket-interpolated), ms. */
  apply: Record<string, { p50Ms: number; p99Ms: number }>;
  /** The first leg of it: from a ride's commit to its event's publication in Redis (the outbox's times), ms. */
  published: { p50Ms: number; p99Ms: number };
  /** A backlog of DRAIN_RECORDS staged events: from the first seq to both consumers at the last. */
  drain: { records: number; seconds: number; perSec: number };
}

/**
 * Section 8: the unified log. The streamer and two consumers in processes of
 * their own (no failures injected), on a private Redis:
 * (a) POST /rides at up to 300 rides/s for a phase: each consumer's
 *     commit-to-apply latency (p50, p99);
 * (b) 100,000 events staged at once while no streamer runs, then one starts:
 *     the drain rate, records/s, until both consumers have applied the last.
 */
export async function unifiedLog(ctx: BenchContext): Promise<UnifiedLogBench> {
  const { cluster, settings } = ctx;
  const base = settings.postgresPort + 100;
  const ports: Record<string, string> = {
    consumer0: String(base + 1),
    consumer1: String(base + 2),
  };
  const say = (line: string) => ctx.say(line);
  const log = new LogStack(clusterEnv(cluster, cluster.roles.log), base, say, (name) => ({
    LOG_LEVEL: 'warn',
    TOKEN_SECRET: settings.tokenSecret,
    ...(process.env.CONSUMER_REPLICA_WAIT_MS
      ? { CONSUMER_REPLICA_WAIT_MS: process.env.CONSUMER_REPLICA_WAIT_MS }
      : {}),
    ...(ports[name] ? { CONSUMER_PORT: ports[name] } : {}),
  }));
  ctx.cleanup.add('log', () => log.stop());
  await log.start();
  const primary = <T>(text: string) =>
    cluster.withClient(
      'primary',
      cluster.settings.database,
      async (c) => (await c.query(text)).rows as T[],
    );
  const api = await launchApi(ctx, {
    name: 'api-log',
    settings: { TOKEN_SECRET: settings.tokenSecret },
  });
  try {
    // (a) A steady load: a send every 10 ms of rate / 100 rides, each its own request.
    const users = await Promise.all(
      Array.from({ length: 16 }, () => createUser(api.client, 'log')),
    );
    // Warm-up: the log's processes start (ts-node) while the API does; measure once a ride has
    // gone through both consumers, not the seconds the processes spend starting.
    await api.client.send('POST', '/rides', users[0], { distance: 1 });
    await converged(primary, 120_000);
    const started = performance.now();
    const deadline = started + settings.seconds * 1000;
    let sent = 0;
    let created = 0;
    const inFlight: Promise<void>[] = [];
    while (performance.now() < deadline) {
      for (let i = 0; i < TARGET_RATE / 100; i++) {
        const auth = users[sent++ % users.length]!;
        inFlight.push(
          api.client.send('POST', '/rides', auth, { distance: 1 + (sent % 50) / 10 }).then((r) => {
            if (r.status === 201) created++;
          }),
        );
      }
      await sleep(10);
    }
    await Promise.all(inFlight);
    const rate = created / ((performance.now() - started) / 1000);
    await converged(primary, 60_000);
    const [leg] = await primary<{ p50: number; p99: number }>(
      `SELECT 1000 * extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY published_at - occurred_at))::float8 AS p50,
              1000 * extract(epoch FROM percentile_cont(0.99) WITHIN GROUP (ORDER BY published_at - occurred_at))::float8 AS p99
         FROM log_outbox`,
    );
    const published = { p50Ms: leg!.p50, p99Ms: leg!.p99 };
    const apply: UnifiedLogBench['apply'] = {};
    for (const [name, port] of Object.entries(ports))
      apply[name] = percentiles(await metricsOf(Number(port)), name);

    // (b) A backlog: no streamer; 100,000 rides and their events staged at once; then one streamer.
    await log.kill('streamer0');
    await log.kill('streamer1');
    const [someone] = await primary<{ id: string }>('SELECT min(id)::text AS id FROM users');
    const userId = someone!.id;
    await primary(
      `WITH r AS (INSERT INTO rides (user_id, distance)
                  SELECT ${userId}, (1 + g % 50 / 10.0)::numeric(9,1) FROM generate_series(1, ${DRAIN_RECORDS}) g
                  RETURNING id, user_id, distance)
       INSERT INTO log_outbox (type, version, payload)
       SELECT 'ride.created', 1, jsonb_build_object('ride_id', id, 'user_id', user_id, 'distance', distance::text) FROM r`,
    );
    const [seq] = await primary<{ last: string }>(
      'SELECT last_seq::text AS last FROM log_sequence',
    );
    const before = BigInt(seq!.last);
    log.launch('streamer0');
    const first = await until(primary, (last) => last > before, 60_000);
    await converged(primary, 300_000);
    const seconds = (performance.now() - first) / 1000;
    const result: UnifiedLogBench = {
      rate,
      rides: created,
      apply,
      published,
      drain: { records: DRAIN_RECORDS, seconds, perSec: DRAIN_RECORDS / seconds },
    };
    print(result, settings.seconds);
    return result;
  } finally {
    await api.stop();
    await log.stop();
  }
}

type Primary = <T>(text: string) => Promise<T[]>;

/** Resolves when both consumers have applied the last seq given out, and nothing waits for one. */
async function converged(primary: Primary, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await primary<{ done: boolean }>(
      `SELECT NOT EXISTS (SELECT 1 FROM log_outbox WHERE seq IS NULL)
          AND (SELECT count(*) FROM consumer_states WHERE last_seq = (SELECT last_seq FROM log_sequence)) = 2 AS done`,
    );
    if (row?.done) return;
    if (Date.now() > deadline)
      throw new Error(`the log did not drain within ${timeoutMs / 1000} s`);
    await sleep(20);
  }
}

/** When the streamer first gave out a seq past `before`: performance.now() then. */
async function until(
  primary: Primary,
  seen: (last: bigint) => boolean,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await primary<{ last: string }>(
      'SELECT last_seq::text AS last FROM log_sequence',
    );
    if (seen(BigInt(row!.last))) return performance.now();
    if (Date.now() > deadline) throw new Error('the streamer did not start');
    await sleep(10);
  }
}

async function metricsOf(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  return response.text();
}

/** p50 and p99 of a consumer's commit-to-apply histogram, interpolated within buckets, ms. */
export function percentiles(text: string, consumer: string): { p50Ms: number; p99Ms: number } {
  const buckets: { le: number; count: number }[] = [];
  const pattern = new RegExp(
    `^rides_log_commit_to_apply_seconds_bucket\\{(?=[^}]*consumer="${consumer}")[^}]*le="([^"]+)"[^}]*\\} (\\S+)$`,
  );
  for (const line of text.split('\n')) {
    const m = pattern.exec(line);
    if (m) buckets.push({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: Number(m[2]) });
  }
  buckets.sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  const at = (q: number) => {
    const rank = q * total;
    let previous = { le: 0, count: 0 };
    for (const b of buckets) {
      if (b.count >= rank) {
        if (!Number.isFinite(b.le)) return previous.le * 1000;
        const share =
          b.count === previous.count ? 1 : (rank - previous.count) / (b.count - previous.count);
        return (previous.le + share * (b.le - previous.le)) * 1000;
      }
      previous = b;
    }
    return NaN;
  };
  return { p50Ms: at(0.5), p99Ms: at(0.99) };
}

function print(r: UnifiedLogBench, seconds: number): void {
  console.log(
    renderTable({
      title: `8. Unified log: POST /rides at up to ${TARGET_RATE}/s for ${seconds} s; then a ${DRAIN_RECORDS.toLocaleString('en-US')}-event backlog`,
      columns: ['', 'consumer0', 'consumer1', 'target'],
      rows: [
        ['rides/s taken by the API', fmt.int(r.rate), '', `${TARGET_RATE} or the API's max`],
        [
          'commit to apply, p50 ms',
          fmt.num(r.apply.consumer0!.p50Ms),
          fmt.num(r.apply.consumer1!.p50Ms),
          '<= 20',
        ],
        [
          'commit to apply, p99 ms',
          fmt.num(r.apply.consumer0!.p99Ms),
          fmt.num(r.apply.consumer1!.p99Ms),
          '<= 100',
        ],
        [
          'of which commit to published (Redis took it), p50 / p99 ms',
          `${fmt.num(r.published.p50Ms)} / ${fmt.num(r.published.p99Ms)}`,
          '',
          '',
        ],
        ['backlog drain, records/s (both consumers)', fmt.int(r.drain.perSec), '', '>= 5,000'],
      ],
    }),
  );
}
