import type { BenchContext } from './bench.context';
import type { CpuSubjects } from './cpu.probe';
import { startApiProcess, type ApiProcess } from './api-process.starter';
import { HttpClient } from './http.client';
import { ReplicaCounters } from './replica-counters.probe';
import { createUser } from './riders.fixture';

/** An API child process with a client for it and its statement counters. */
export interface BenchApi {
  process: ApiProcess;
  client: HttpClient;
  counters: ReplicaCounters;
  /** How many replicas the process says it routes to (from `GET /replicas`). */
  replicaCount: number;
  stop(): Promise<void>;
}

export interface ApiLaunch {
  name: string;
  /** Use the first `replicas` replicas of the cluster (default: all). */
  replicas?: number;
  /** Further settings, e.g. PRIMARY_READ_SHARE. */
  settings?: Record<string, string>;
}

/**
 * The database variables of an API that uses the primary and the first
 * `count` replicas. Zero replicas: REPLICA_URLS unset and NUM_REPLICAS=0
 * (an empty REPLICA_URLS counts as unset, which would mean NUM_REPLICAS
 * replicas on the POSTGRES_* ports: see libs/config/src/database.config.ts).
 */
export function apiDatabaseEnv(ctx: BenchContext, count: number): Record<string, string> {
  const chosen = ctx.replicas.slice(0, count);
  return chosen.length === 0
    ? { DATABASE_URL: ctx.primaryUrl, NUM_REPLICAS: '0' }
    : {
        DATABASE_URL: ctx.primaryUrl,
        REPLICA_URLS: chosen.map((r) => `${r.name}=${r.url}`).join(','),
        NUM_REPLICAS: String(chosen.length),
      };
}

/**
 * Starts an API process on the bench's cluster, with the bench's
 * TOKEN_SECRET and no rate limits, and checks that it routes to the
 * replicas it was given.
 */
export async function launchApi(ctx: BenchContext, launch: ApiLaunch): Promise<BenchApi> {
  const count = launch.replicas ?? ctx.replicas.length;
  const env = {
    ...apiDatabaseEnv(ctx, count),
    TOKEN_SECRET: ctx.settings.tokenSecret,
    // The bench measures routing: the per-key and sign-up rate limits would answer 429s instead.
    RATE_LIMIT_KEY_RPS: '0',
    RATE_LIMIT_SIGNUP_PER_MIN: '0',
    ...launch.settings,
  };
  const started = Date.now();
  const child = await startApiProcess(launch.name, env, ctx.cleanup);
  const client = new HttpClient(child.url, ctx.settings.connections);
  const stop = async () => {
    client.close();
    await child.stop();
  };
  try {
    const counters = new ReplicaCounters(client, await createUser(client, 'counters'));
    await counters.calibrate();
    const replicaCount = (await counters.snapshot()).filter((n) => n.role === 'replica').length;
    if (replicaCount !== count) {
      throw new Error(
        `${launch.name} routes to ${replicaCount} replicas, not the ${count} it was given`,
      );
    }
    const shown = Object.entries(launch.settings ?? {}).map(([k, v]) => `${k}=${v}`);
    ctx.say(
      `${launch.name}: pid ${child.pid} on ${child.url}, ${count} replicas` +
        `${shown.length ? `, ${shown.join(' ')}` : ''} (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    return { process: child, client, counters, replicaCount, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs `fn` with a fresh API process and stops it afterwards, whatever happens. */
export async function withApi<T>(
  ctx: BenchContext,
  launch: ApiLaunch,
  fn: (api: BenchApi) => Promise<T>,
): Promise<T> {
  const api = await launchApi(ctx, launch);
  try {
    return await fn(api);
  } finally {
    await api.stop();
  }
}

/** The processes whose CPU a phase against `api` reports. */
export function cpuSubjects(ctx: BenchContext, api: BenchApi): CpuSubjects {
  return {
    apiPid: api.process.pid,
    postmasters: () =>
      ctx.cluster.nodes.flatMap((n) => {
        const pid = ctx.cluster.pidOf(n.name);
        return pid === undefined ? [] : [pid];
      }),
  };
}
