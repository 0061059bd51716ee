import type { Client } from 'pg';
import { tsNodeCommand } from '../cluster/launcher.command';
import { prefixed, spawnChild, type Child } from '../process/child.process';
import { RedisServer } from '../redis/redis.process';
import type { DatabaseEnv } from './database.env';

/** The consumers' state and the truth they must reach. */
export interface LogTally {
  truth: { total: string; rides: string };
  consumers: Record<string, { total: string; rides: string }>;
}

/**
 * The unified log for `npm run chaos` and `npm run bench`: a private Redis
 * (append-only file on) and the real apps as processes of their own, so that
 * a phase can kill -9 one: two streamers (one holds the lease, one stands
 * by) and consumer0 and consumer1. `env` adds to their settings (the seed's
 * failure injection, fixed ports). They stay in the caller's process group, as
 * its Redis does: a Ctrl+C of the chaos run reaches them directly.
 */
export class LogStack {
  readonly redis: RedisServer;
  private readonly processes = new Map<string, Child>();
  /** Stale read-backs the consumers reported (`STALE read back`): any fails the run. */
  staleReadBacks = 0;

  constructor(
    private readonly db: DatabaseEnv,
    port: number,
    private readonly say: (line: string) => void,
    private readonly env: (name: string) => NodeJS.ProcessEnv = () => ({}),
  ) {
    this.redis = new RedisServer({ dir: `${process.cwd()}/.redis-${port}`, port });
  }

  static readonly APPS = ['streamer0', 'streamer1', 'consumer0', 'consumer1'];

  async start(): Promise<void> {
    await this.redis.start({ fresh: true });
    for (const name of LogStack.APPS) this.launch(name);
  }

  /** Starts (or restarts) one of the log's processes. */
  launch(name: string): void {
    const consumer = name.startsWith('consumer');
    const child = spawnChild({
      name,
      ...tsNodeCommand(`apps/${consumer ? 'consumer' : 'streamer'}/src/main.ts`),
      ownGroup: false,
      env: {
        ...process.env,
        ...this.db,
        REDIS_URL: this.redis.url,
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'pretty',
        NO_COLOR: '1',
        STREAMER_PORT: '0',
        CONSUMER_PORT: '0',
        STREAMER_POLL_MS: '200',
        STREAMER_MAINTENANCE_MS: '1000',
        ...(consumer ? { CONSUMER_NAME: name } : {}),
        ...this.env(name),
      },
      onLine: (line) => {
        if (line.includes('STALE read back')) this.staleReadBacks++;
        this.say(`  ${prefixed(name, line)}`);
      },
    });
    this.processes.set(name, child);
  }

  /** kill -9, as a crash. */
  async kill(name: string): Promise<void> {
    await this.processes.get(name)?.kill();
  }

  /** The consumers' totals beside `sum(distance)` and `count(*)` of every ride. */
  async tally(onPrimary: <T>(fn: (c: Client) => Promise<T>) => Promise<T>): Promise<LogTally> {
    return onPrimary(async (c) => {
      const truth = await c.query<{ total: string; rides: string }>(
        'SELECT coalesce(sum(distance), 0)::text AS total, count(*)::text AS rides FROM rides',
      );
      const states = await c.query<{ name: string; total: string; rides: string }>(
        'SELECT name, total_distance::text AS total, rides_counted::text AS rides FROM consumer_states',
      );
      return {
        truth: truth.rows[0]!,
        consumers: Object.fromEntries(states.rows.map(({ name, ...s }) => [name, s])),
      };
    });
  }

  /** Whether both consumers equal the truth exactly. */
  static agree(t: LogTally): boolean {
    return ['consumer0', 'consumer1'].every(
      (n) => t.consumers[n]?.total === t.truth.total && t.consumers[n]?.rides === t.truth.rides,
    );
  }

  /** The apps (SIGTERM, SIGKILL after 15 s), then Redis. */
  async stop(): Promise<void> {
    await Promise.all([...this.processes.values()].map((child) => child.stop()));
    await this.redis.stop();
  }
}
