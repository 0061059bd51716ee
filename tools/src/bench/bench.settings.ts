import { resolve } from 'node:path';

/** What one `npm run bench` measures with, from its BENCH_* variables. */
export interface BenchSettings {
  /** Length of each measured phase (BENCH_SECONDS, default 15). */
  seconds: number;
  /** Concurrent connections, each with exactly one request in flight (BENCH_CONNECTIONS, 16). */
  connections: number;
  /** The private cluster's primary port; replicas take the next five (BENCH_POSTGRES_PORT, 26433). */
  postgresPort: number;
  /** Where the JSON results go (BENCH_OUT, `bench-results.json` in the working directory). */
  outFile: string;
  /** Warm-up before each measured phase, not counted. */
  warmupMs: number;
  /**
   * Section 7's calm-then-storm rounds through the proxy, judged on the median
   * round (BENCH_STORM_ROUNDS, 7; CI runs 15 short ones).
   */
  stormRounds: number;
  /** Upper bound on requests per phase, whatever the duration. */
  maxRequestsPerPhase: number;
  /** Given to every API process, so that each honours the others' tokens. */
  tokenSecret: string;
  /**
   * BENCH_ONLY=storm: section 7 alone (what CI runs); log: section 8 alone;
   * overhead: section 9 alone. Unset: every section.
   */
  only: 'storm' | 'log' | 'overhead' | null;
}

export const BENCH_TOKEN_SECRET = 'bench-secret-0123456789abcdef0123';

export function benchSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  return {
    seconds: positive(env, 'BENCH_SECONDS', 15),
    connections: positive(env, 'BENCH_CONNECTIONS', 16, 512),
    postgresPort: positive(env, 'BENCH_POSTGRES_PORT', 26433, 65530),
    outFile: resolve(env.BENCH_OUT || 'bench-results.json'),
    warmupMs: 2000,
    stormRounds: positive(env, 'BENCH_STORM_ROUNDS', 7, 99),
    maxRequestsPerPhase: 2_000_000,
    tokenSecret: BENCH_TOKEN_SECRET,
    only: only(env.BENCH_ONLY),
  };
}

function only(raw: string | undefined): BenchSettings['only'] {
  if (raw === undefined || raw === '') return null;
  if (raw === 'storm' || raw === 'log' || raw === 'overhead') return raw;
  throw new Error(
    `BENCH_ONLY=${JSON.stringify(raw)}: must be storm (section 7 alone), log (section 8 alone), ` +
      'overhead (section 9 alone), or unset',
  );
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number, max = 3600): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`${name}=${JSON.stringify(raw)}: must be a whole number from 1 to ${max}`);
  }
  return value;
}
