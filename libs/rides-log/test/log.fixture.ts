import type { EntityManager } from 'typeorm';
import { Test, type TestingModule } from '@nestjs/testing';
import { RedisServer } from '@app/dev-tools';
import { ConsistencyTokens, ReplicaRouter } from '@app/replica-routing';
import { ReplicaRoutingModule } from '@app/replica-routing/nest';
import Redis from 'ioredis';
import { Client } from 'pg';
import { e2eEnv, sql, urlAs } from '../../../test/e2e/cluster.control';
import {
  leaseSession,
  LogConsumer,
  OutboxStore,
  stageRideCreated,
  Streamer,
  type StreamerOptions,
  type TokenSigner,
} from '../src';
import { typeormAdapter } from '@app/replica-routing/typeorm';

export const STREAM = 'rides:log:e2e';
const SECRET = 'e2e-log-token-secret-0123456789';
const REDIS_PORT = Number(process.env.E2E_REDIS_PORT ?? 24533);
const env = e2eEnv();

/** A router on the suite's cluster as `login` (the API's to write rides, the log's to consume). */
async function routerAs(login: { user: string; password: string }) {
  const module = await Test.createTestingModule({
    imports: [
      ReplicaRoutingModule.forRoot({
        adapter: typeormAdapter(),
        primary: { url: urlAs(env.primaryUrl, login) },
        replicas: env.replicaUrls.map((r) => ({ name: r.name, url: urlAs(r.url, login) })),
        tokenSecret: SECRET,
        statusRefreshMs: 100,
        replicaWaitMs: 50,
      }),
    ],
  }).compile();
  await module.init();
  return module;
}

/**
 * The unified log on the suite's cluster: a private Redis (append-only file
 * on), the API's router to stage rides, and streamers and consumers built as
 * the apps build them, each with its own stop switch.
 */
export class LogFixture {
  readonly redis = new RedisServer({ dir: `${process.cwd()}/.redis-test`, port: REDIS_PORT });
  private readonly modules: TestingModule[] = [];
  private readonly clients: Redis[] = [];
  private readonly running: { stop: AbortController; done: Promise<void> }[] = [];
  api!: ReplicaRouter<EntityManager>;
  log!: ReplicaRouter<EntityManager>;
  tokens!: ConsistencyTokens;
  /** Signs a position as the streamer does (with the suite's TOKEN_SECRET). */
  readonly sign: TokenSigner = (position) => this.tokens.format(position);
  userId = 0;

  async start(): Promise<void> {
    await this.redis.start({ fresh: true });
    const api = await routerAs(env.roles.api);
    const log = await routerAs(env.roles.log);
    this.modules.push(api, log);
    this.api = api.get<ReplicaRouter<EntityManager>>(ReplicaRouter);
    this.log = log.get<ReplicaRouter<EntityManager>>(ReplicaRouter);
    this.tokens = api.get(ConsistencyTokens);
    const [user] = await sql<{ id: number }>(
      'primary',
      "INSERT INTO users (email) VALUES ('log-e2e-' || gen_random_uuid() || '@example.com') RETURNING id",
    );
    this.userId = user!.id;
  }

  /** Nothing sequenced, published or consumed yet: every staged event waits for a seq again. */
  async reset(): Promise<void> {
    await this.stopAll();
    await sql('primary', 'DELETE FROM consumer_states');
    await sql('primary', 'DELETE FROM log_dead_letters');
    await sql('primary', 'UPDATE log_outbox SET seq = NULL, token = NULL, published_at = NULL');
    await sql('primary', 'UPDATE log_sequence SET last_seq = 0');
    const admin = this.client();
    await admin.flushall();
  }

  client(): Redis {
    const client = new Redis(this.redis.url, { maxRetriesPerRequest: 1, lazyConnect: false });
    client.on('error', () => undefined);
    this.clients.push(client);
    return client;
  }

  /** Runs `fn` with an OutboxStore on a session of its own on the primary, as the streamer has. */
  async withStore<T>(fn: (store: OutboxStore) => Promise<T>, sign = this.sign): Promise<T> {
    const session = new Client({ connectionString: env.primaryUrl });
    await session.connect();
    try {
      return await fn(new OutboxStore(session, sign));
    } finally {
      await session.end();
    }
  }

  /** A ride and its event, in one transaction, as RidesService writes them. */
  async ride(distance: string): Promise<number> {
    const { result } = await this.api.write(async (em) => {
      const [row] = await em.query<{ id: string }[]>(
        'INSERT INTO rides (user_id, distance) VALUES ($1, $2) RETURNING id::text AS id',
        [this.userId, distance],
      );
      await stageRideCreated(em, { id: row!.id, userId: this.userId });
      return Number(row!.id);
    });
    return result;
  }

  streamer(options: Partial<StreamerOptions> = {}): Streamer {
    const login = env.roles.log;
    const streamer = new Streamer(
      () => leaseSession(urlAs(env.primaryUrl, login)),
      this.client(),
      this.sign,
      {
        stream: STREAM,
        batch: 50,
        pollMs: 200,
        maintenanceMs: 200,
        retentionS: 86_400,
        leaseRetryMs: 200,
        failRate: 0,
        leaseKey: 42_4242,
        ...options,
      },
    );
    this.run((signal) => streamer.run(signal));
    return streamer;
  }

  /**
   * `consumer0` once it has counted `rides` new rides of `distance`, with the
   * streamer and every loop stopped after: the stream is the test's alone.
   */
  async settledConsumer(rides: number, distance: string): Promise<LogConsumer> {
    for (let i = 0; i < rides; i++) await this.ride(distance);
    this.streamer();
    const consumer = this.consumer('consumer0');
    this.run((s) => consumer.run(s));
    await this.converged(['consumer0']);
    await this.stopAll();
    return consumer;
  }

  consumer(name: string, batch = 20, failRate = 0, blockMs = 200): LogConsumer {
    const consumer = new LogConsumer(this.log, this.client(), {
      name,
      stream: STREAM,
      batch,
      blockMs,
      failRate,
    });
    return consumer;
  }

  /** Starts `loop` until stopAll(); returns its own stop. */
  run(loop: (signal: AbortSignal) => Promise<void>): () => Promise<void> {
    const stop = new AbortController();
    const entry = { stop, done: loop(stop.signal) };
    this.running.push(entry);
    return async () => {
      stop.abort();
      await entry.done;
    };
  }

  async stopAll(): Promise<void> {
    const all = this.running.splice(0);
    all.forEach((r) => r.stop.abort());
    await Promise.all(all.map((r) => r.done));
  }

  /** What every ride with a sequenced event adds up to: the truth the consumers must equal. */
  async truth(): Promise<{ total: string; rides: string; lastSeq: string }> {
    const [row] = await sql<{ total: string; rides: string; last: string }>(
      'primary',
      `SELECT coalesce(sum(r.distance), 0)::text AS total, count(*)::text AS rides,
              (SELECT last_seq::text FROM log_sequence) AS last
         FROM log_outbox o JOIN rides r ON r.id = (o.payload->>'ride_id')::bigint`,
    );
    return { total: row!.total, rides: row!.rides, lastSeq: row!.last };
  }

  /** A consumer's state when it has counted every sequenced event exactly: the truth, as `states()` shows it. */
  async exactState(): Promise<{ total: string; rides: string; last: string }> {
    const truth = await this.truth();
    return { total: truth.total, rides: truth.rides, last: truth.lastSeq };
  }

  async states(): Promise<Record<string, { total: string; rides: string; last: string }>> {
    const rows = await sql<{ name: string; total: string; rides: string; last: string }>(
      'primary',
      'SELECT name, total_distance::text AS total, rides_counted::text AS rides, last_seq::text AS last FROM consumer_states ORDER BY name',
    );
    return Object.fromEntries(rows.map(({ name, ...rest }) => [name, rest]));
  }

  /** Resolves when every consumer named has applied everything staged so far. */
  async converged(names: string[], timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [truth, states] = await Promise.all([this.staged(), this.states()]);
      if (names.every((n) => states[n]?.last === truth)) return;
      if (Date.now() > deadline)
        throw new Error(`consumers did not reach seq ${truth}: ${JSON.stringify(states)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** How many events are staged in all (each gets a seq once committed and claimed). */
  private async staged(): Promise<string> {
    const [row] = await sql<{ n: string }>('primary', 'SELECT count(*)::text AS n FROM log_outbox');
    return row!.n;
  }

  async close(): Promise<void> {
    await this.stopAll();
    this.clients.forEach((c) => c.disconnect());
    await Promise.all(this.modules.map((m) => m.close()));
    await this.redis.stop();
  }
}
