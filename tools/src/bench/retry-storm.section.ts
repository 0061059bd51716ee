import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HaproxyProcess } from '../proxy/haproxy.process';
import { runForResult } from '../process/result.process';
import { freePort } from '../process/wait';
import { startApiProcess, type ApiProcess } from './api-process.starter';
import { apiDatabaseEnv } from './bench-api.launcher';
import type { BenchContext } from './bench.context';
import { HttpClient } from './http.client';
import { createUser } from './riders.fixture';
import { STORM_RESULT, type StormConfig, type StormResult } from './storm.main';
import { medianRound, pairRounds, type StormRound } from './storm.rounds';
import type { StormStage, StormStageSpec } from './storm.stage';
import { printStormTable } from './storm.table';

/** Issue #21's storm: 100 connections, then 3,000, all retrying at once; 10 s client timeout. */
export const STORM = {
  calmConnections: 100,
  stormConnections: 3000,
  users: 100,
  timeoutS: 10,
  writesAfter: 20,
  /** The API's default API_MAX_IN_FLIGHT, given to the API and, as maxconn, to the proxy. */
  maxInFlight: 64,
  /** The proxy's default PROXY_QUEUE_MS. */
  queueMs: 2000,
  /** A storm's first second, its 3,000 connections opening, is not counted in its rates. */
  settleSeconds: 1,
};

/** One target (through the proxy, or straight to the API): rounds of calm then storm, then writes. */
export interface StormRun extends StormRound {
  /** Every round in order; the run's own calm, storm and ratio are the median round's. */
  rounds: StormRound[];
  /** The warm-up's stages (a calm, then a storm): not measured, but judged like the rounds. */
  warmUp: StormStage[];
  after: StormResult['after'];
}

export interface RetryStorm {
  proxy: StormRun;
  direct: StormRun;
  settings: typeof STORM & { calmSeconds: number; stormSeconds: number };
}

/** The calm stage lasts BENCH_SECONDS up to 10 s (CI runs 3), the storm twice as long. */
export function stormSeconds(benchSeconds: number): { calm: number; storm: number } {
  const calm = Math.min(benchSeconds, 10);
  return { calm, storm: 2 * calm };
}

/**
 * Section 7: POST /rides from clients that retry at once, whatever the
 * answer (autocannon: each connection sends its next request as soon as it
 * has an answer), on one API process: through the API's proxy (HAProxy on
 * docker/haproxy-api.cfg, as every deployment runs it), then straight to the
 * API for comparison. Each: a warm-up of both, rounds of 100 connections then 3,000
 * (BENCH_STORM_ROUNDS through the proxy, one straight to the API), then 20 writes that
 * must all succeed.
 */
export async function retryStorm(ctx: BenchContext): Promise<RetryStorm> {
  const seconds = stormSeconds(ctx.settings.seconds);
  const settings = { ...STORM, calmSeconds: seconds.calm, stormSeconds: seconds.storm };
  const api = await startApiProcess(
    'api-storm',
    {
      ...apiDatabaseEnv(ctx, ctx.replicas.length),
      TOKEN_SECRET: ctx.settings.tokenSecret,
      RATE_LIMIT_KEY_RPS: '0',
      RATE_LIMIT_SIGNUP_PER_MIN: '0',
      API_MAX_IN_FLIGHT: String(STORM.maxInFlight),
      // Thousands of 503s a second: only errors are worth a line.
      LOG_LEVEL: 'error',
    },
    ctx.cleanup,
  );
  const dir = mkdtempSync(join(tmpdir(), 'rrs-bench-haproxy-'));
  const proxy = new HaproxyProcess({
    port: await freePort(),
    servers: [{ name: 'api', port: Number(new URL(api.url).port) }],
    maxInFlight: STORM.maxInFlight,
    queueMs: STORM.queueMs,
    configFile: join(dir, 'haproxy.cfg'),
  });
  const unregister = ctx.cleanup.add('haproxy', () => proxy.stop());
  try {
    await proxy.start();
    ctx.say(
      `haproxy: pid ${proxy.pid} on ${proxy.url}, in front of ${api.url} (maxconn ${STORM.maxInFlight}, queue ${STORM.queueMs} ms)`,
    );
    const apiKeys = await registerUsers(api.url, STORM.users);
    const run = (url: string, proxyPid: number | null, rounds: number) =>
      stormRun(ctx, api, apiKeys, { url, proxyPid, rounds, seconds });
    const rounds = ctx.settings.stormRounds;
    ctx.say(`retry storm through the proxy: ${describeStages(seconds, rounds)}`);
    const throughProxy = await run(proxy.url, proxy.pid ?? null, rounds);
    // What the proxy held back is gone; let the API finish what it admitted.
    await sleep(2000);
    ctx.say(`retry storm straight to the API: ${describeStages(seconds, 1)}`);
    const direct = await run(api.url, null, 1);
    const result = { proxy: throughProxy, direct, settings };
    printStormTable(result);
    return result;
  } finally {
    await proxy.stop();
    unregister();
    rmSync(dir, { recursive: true, force: true });
    await api.stop();
  }
}

const describeStages = (s: { calm: number; storm: number }, rounds: number) =>
  `${rounds === 1 ? '' : `${rounds} rounds of `}${STORM.calmConnections} connections for ${s.calm} s, ` +
  `then ${STORM.stormConnections.toLocaleString('en-US')} for ${s.storm} s`;

interface RunSpec {
  url: string;
  proxyPid: number | null;
  rounds: number;
  seconds: { calm: number; storm: number };
}

async function stormRun(
  ctx: BenchContext,
  api: ApiProcess,
  apiKeys: string[],
  { url, proxyPid, rounds, seconds }: RunSpec,
): Promise<StormRun> {
  const stage = (label: string, connections: number, s: number): StormStageSpec => ({
    label,
    connections,
    seconds: s,
    settleSeconds: label === 'storm' ? STORM.settleSeconds : 0,
  });
  const config: StormConfig = {
    url,
    apiKeys,
    timeoutS: STORM.timeoutS,
    maxRequests: ctx.settings.maxRequestsPerPhase,
    requestIdEchoed: proxyPid !== null,
    cpu: {
      apiPid: api.pid,
      postmasterPids: ctx.cluster.nodes.flatMap((n) => ctx.cluster.pidOf(n.name) ?? []),
      proxyPid,
    },
    // The warm-up has a storm too: the first storm a process and the proxy ever see
    // costs more per 201 than the later ones (0.78 of its calm in one run, 0.96 and
    // 0.90 in the two rounds after it).
    stages: [
      stage('warm-up', STORM.calmConnections, ctx.settings.warmupMs / 1000),
      stage('warm-up', STORM.stormConnections, ctx.settings.warmupMs / 1000),
      ...Array.from({ length: rounds }, () => [
        stage('calm', STORM.calmConnections, seconds.calm),
        stage('storm', STORM.stormConnections, seconds.storm),
      ]).flat(),
    ],
    writesAfter: STORM.writesAfter,
  };
  // The storm generator in a process of its own, with a raised file-descriptor limit.
  const result = await runForResult<StormResult>({
    name: 'storm',
    entry: resolve(__dirname, 'storm.main.ts'),
    env: { STORM_CONFIG: JSON.stringify(config) },
    resultPrefix: STORM_RESULT,
    onChild: (stop) => ctx.cleanup.add('storm generator', () => Promise.resolve(stop())),
  });
  const warmUp = result.stages.filter((s) => s.label === 'warm-up');
  const all = pairRounds(result.stages.filter((s) => s.label !== 'warm-up'));
  return { ...medianRound(all), rounds: all, warmUp, after: result.after };
}

/** `count` users, registered 10 at a time; their API keys. */
async function registerUsers(apiUrl: string, count: number): Promise<string[]> {
  const client = new HttpClient(apiUrl, 10);
  try {
    const keys: string[] = [];
    for (let i = 0; i < count; i += 10) {
      const batch = Array.from({ length: Math.min(10, count - i) }, () =>
        createUser(client, 'storm'),
      );
      for (const auth of await Promise.all(batch))
        keys.push(auth.authorization!.replace(/^Bearer /, ''));
    }
    return keys;
  } finally {
    client.close();
  }
}
