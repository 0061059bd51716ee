import request from 'supertest';
import {
  describeWithNodeControl,
  pauseReplay,
  replicaNames,
  resumeReplay,
  sql,
  testCluster,
  waitForReplicasToCatchUp,
} from '../../../test/e2e/cluster.control';
import {
  createRider,
  sleep,
  startApi,
  startObserver,
  type RunningApi,
  type Rider,
} from './api.harness';

interface Outcome {
  stale: number;
  reads: number;
  servedBy: Map<string, number>;
}

/**
 * `users` riders each write `rides` rides and read every one back at once,
 * half of them sending the write's Consistency-Token, half sending none (the
 * API then takes the primary's position as it authenticates the rider there).
 * A read that is not 200 with the written distance is stale.
 */
async function readYourWrites(url: string, users: number, rides: number): Promise<Outcome> {
  const outcome: Outcome = { stale: 0, reads: 0, servedBy: new Map() };
  const riders = await Promise.all(Array.from({ length: users }, () => createRider(url)));
  await Promise.all(
    riders.map(async (rider: Rider, n) => {
      for (let i = 0; i < rides; i++) {
        const distance = Math.round(Math.random() * 10_000) / 10;
        const written = await request(url)
          .post('/rides')
          .set(rider.auth)
          .send({ distance })
          .expect(201);
        const read = request(url)
          .get(`/rides/${written.body.id as number}`)
          .set(rider.auth);
        if (n % 2 === 0)
          void read.set('Consistency-Token', written.headers['consistency-token'] as string);
        const response = await read;
        outcome.reads++;
        const node = response.headers['served-by'] as string;
        outcome.servedBy.set(node, (outcome.servedBy.get(node) ?? 0) + 1);
        if (response.status !== 200 || response.body.distance !== distance) outcome.stale++;
      }
    }),
  );
  return outcome;
}

const replicaReads = (o: Outcome) => o.reads - (o.servedBy.get('primary') ?? 0);

describe('read-your-writes through the API', () => {
  let api: RunningApi;
  let observer: { close(): Promise<void> };

  beforeAll(async () => {
    await waitForReplicasToCatchUp();
    api = await startApi();
    observer = await startObserver();
    await sleep(300);
  });

  afterAll(async () => {
    await resumeReplay().catch(() => undefined);
    await observer.close();
    await api.close();
  });

  it('many concurrent users writing and reading back at once: zero stale reads, replicas used', async () => {
    const outcome = await readYourWrites(api.url, 12, 15);
    expect(outcome.stale).toBe(0);
    expect(outcome.reads).toBe(180);
    expect(replicaReads(outcome)).toBeGreaterThan(outcome.reads / 2);
  });

  it('replay paused on every replica: fresh writes are read from the primary; replicas serve again after resume', async () => {
    await pauseReplay();
    let paused: Outcome;
    try {
      paused = await readYourWrites(api.url, 4, 5);
    } finally {
      await resumeReplay();
    }
    expect(paused.stale).toBe(0);
    expect(paused.servedBy.get('primary')).toBe(paused.reads);

    await waitForReplicasToCatchUp();
    await sleep(300);
    // Replicas serve again once the API has seen them move: its status refresh (behind the
    // observer's tick), or the end of the 1 s in which a replica that refused a read is not
    // guessed. Against a stack of several API processes that can outlast one round: up to 10 s.
    const deadline = Date.now() + 10_000;
    let resumed = await readYourWrites(api.url, 4, 5);
    while (replicaReads(resumed) === 0 && Date.now() < deadline) {
      expect(resumed.stale).toBe(0);
      await sleep(500);
      resumed = await readYourWrites(api.url, 4, 5);
    }
    expect(resumed.stale).toBe(0);
    expect(replicaReads(resumed)).toBeGreaterThan(0);
  });

  it("replicas lagging like real ones (recovery_min_apply_delay = '10ms'): zero stale reads", async () => {
    const replicas = replicaNames();
    await Promise.all(
      replicas.map((r) => sql(r, "ALTER SYSTEM SET recovery_min_apply_delay = '10ms'")),
    );
    await Promise.all(replicas.map((r) => sql(r, 'SELECT pg_reload_conf()')));
    try {
      const outcome = await readYourWrites(api.url, 8, 10);
      expect(outcome.stale).toBe(0);
      expect(replicaReads(outcome)).toBeGreaterThan(0);
    } finally {
      await Promise.all(replicas.map((r) => sql(r, 'ALTER SYSTEM RESET recovery_min_apply_delay')));
      await Promise.all(replicas.map((r) => sql(r, 'SELECT pg_reload_conf()')));
    }
  });

  describeWithNodeControl('one replica stopped', () => {
    const victim = 'replica1';

    afterAll(async () => {
      if (!testCluster().pidOf(victim))
        await testCluster().startNode(victim, { foreground: false });
    });

    it('reads keep succeeding, the observer reports it unreachable, and it is used again after restart', async () => {
      await testCluster().stopNode(victim, 'immediate');
      const down = await readYourWrites(api.url, 6, 8);
      expect(down.stale).toBe(0);
      expect(down.servedBy.get(victim) ?? 0).toBe(0);
      await expect(statusOf(victim)).resolves.toMatchObject({ reachable: false });

      await testCluster().startNode(victim, { foreground: false });
      await testCluster().waitReady(victim);
      await waitForReplicasToCatchUp([victim]);
      await waitFor(async () => (await statusOf(victim))?.reachable === true);
      // The bench time of a failed replica (5 s by default) must pass before it is tried again.
      await waitFor(
        async () => ((await readYourWrites(api.url, 4, 5)).servedBy.get(victim) ?? 0) > 0,
        20_000,
      );
    });
  });
});

async function statusOf(name: string): Promise<{ reachable: boolean } | undefined> {
  const rows = await sql<{ reachable: boolean }>(
    'primary',
    'SELECT reachable FROM replica_statuses WHERE name = $1',
    [name],
  );
  return rows[0];
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}
