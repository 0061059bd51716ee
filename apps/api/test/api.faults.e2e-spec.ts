import request from 'supertest';
import {
  describeWithNodeControl,
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

const COOLDOWN_MS = 1500;

describeWithNodeControl('the primary goes away', () => {
  let api: RunningApi;
  let observer: { close(): Promise<void> };
  let rider: Rider;

  beforeAll(async () => {
    api = await startApi({ PRIMARY_COOLDOWN_MS: String(COOLDOWN_MS) });
    observer = await startObserver();
    rider = await createRider(api.url);
  });

  afterAll(async () => {
    if (!testCluster().pidOf('primary'))
      await testCluster().startNode('primary', { foreground: false });
    await testCluster().waitReady('primary');
    await observer.close();
    await api.close();
  });

  it('writes fail fast with 503, token reads keep working, and writes resume when it returns', async () => {
    const written = await request(api.url)
      .post('/rides')
      .set(rider.auth)
      .send({ distance: 11 })
      .expect(201);
    const token = written.headers['consistency-token'] as string;
    await waitForReplicasToCatchUp();
    await sleep(300);

    await testCluster().stopNode('primary', 'fast');

    const first = Date.now();
    const refused = await request(api.url).post('/rides').set(rider.auth).send({ distance: 12 });
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ error: expect.stringMatching(/primary/) });
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(Date.now() - first).toBeLessThan(3000);

    // The breaker is open now: no connection attempt at all.
    const second = Date.now();
    await request(api.url).post('/rides').set(rider.auth).send({ distance: 13 }).expect(503);
    expect(Date.now() - second).toBeLessThan(200);

    // A read whose token a replica has replayed: authenticated and served by replicas alone.
    const read = await request(api.url)
      .get(`/rides/${written.body.id as number}`)
      .set(rider.auth)
      .set('Consistency-Token', token)
      .expect(200);
    expect(read.body.distance).toBe(11);
    expect(read.headers['served-by']).toMatch(/^replica\d$/);

    // Later than the authentication bound (1 s) after the last sample of the primary's position:
    // the primary is down, nothing newer can be committed, so replicas at its last position serve.
    await sleep(1500);
    const later = await request(api.url)
      .get(`/rides/${written.body.id as number}`)
      .set(rider.auth)
      .set('Consistency-Token', token)
      .expect(200);
    expect(later.headers['served-by']).toMatch(/^replica\d$/);

    // Without a token only the primary can authenticate and say how fresh a read must be: a clear 503.
    const tokenless = await request(api.url)
      .get(`/rides/${written.body.id as number}`)
      .set(rider.auth);
    expect(tokenless.status).toBe(503);
    expect(tokenless.body).toEqual({ error: expect.any(String) });
    // Every 503 says when to retry; no body names a host, a port or a driver error (the log does).
    for (const answer of [refused, tokenless]) {
      expect(answer.headers['retry-after']).toMatch(/^\d+$/);
      expect(answer.body.error).not.toMatch(/127\.0\.0\.1|localhost|ECONNREFUSED|:\d{4,5}\b/);
    }

    await testCluster().startNode('primary', { foreground: false });
    await testCluster().waitReady('primary');
    await sleep(COOLDOWN_MS);
    const resumed = await request(api.url)
      .post('/rides')
      .set(rider.auth)
      .send({ distance: 14 })
      .expect(201);
    expect(resumed.body.distance).toBe(14);
  });

  it('loses no acknowledged ride across kill -9 of the primary', async () => {
    const acknowledged: { id: number; distance: number }[] = [];
    let failures = 0;
    const writer = (async () => {
      for (let i = 0; i < 400; i++) {
        const distance = 100 + i / 10;
        const response = await request(api.url)
          .post('/rides')
          .set(rider.auth)
          .send({ distance })
          .catch(() => null);
        if (response?.status === 201)
          acknowledged.push({ id: response.body.id as number, distance });
        else failures++;
        if (acknowledged.length >= 60 && failures > 0) break;
      }
    })();
    await sleep(500);
    await testCluster().stopNode('primary', 'kill');
    await sleep(500);
    await testCluster().startNode('primary', { foreground: false });
    await testCluster().waitReady('primary');
    await writer;
    expect(failures).toBeGreaterThan(0); // the crash did happen under the writer
    const ids = acknowledged.map((r) => r.id);
    const rows = await sql<{ id: string; distance: string }>(
      'primary',
      'SELECT id::text, distance::text FROM rides WHERE id = ANY($1)',
      [ids],
    );
    const stored = new Map(rows.map((r) => [Number(r.id), Number(r.distance)]));
    const lost = acknowledged.filter((r) => stored.get(r.id) !== Math.round(r.distance * 10) / 10);
    expect(lost).toEqual([]);
  });
});

// Needs control over the observer: in-process here; a compose stack runs its own.
describeWithNodeControl('the observer goes away', () => {
  it('routing stays correct (each replica read proven in-band), and GET /replicas shows the age', async () => {
    const api = await startApi();
    const observer = await startObserver();
    try {
      const rider = await createRider(api.url);
      await sleep(300);
      await observer.close();
      await sleep(1200);
      let stale = 0;
      const served = new Map<string, number>();
      for (let i = 0; i < 30; i++) {
        const w = await request(api.url)
          .post('/rides')
          .set(rider.auth)
          .send({ distance: i })
          .expect(201);
        const r = await request(api.url)
          .get(`/rides/${w.body.id as number}`)
          .set(rider.auth);
        if (r.status !== 200 || r.body.distance !== i) stale++;
        const node = r.headers['served-by'] as string;
        served.set(node, (served.get(node) ?? 0) + 1);
      }
      expect(stale).toBe(0);
      // Without fresh positions, a replica still serves what it proves it has replayed.
      expect([...served.keys()].some((node) => node !== 'primary')).toBe(true);
      const replicas = await request(api.url).get('/replicas').set(rider.auth).expect(200);
      const observed = replicas.body.nodes.filter(
        (n: { source: string }) => n.source === 'observer',
      );
      // Positions the router has not refreshed itself (by reading there) are as old as the observer's last tick.
      expect(observed.length).toBeGreaterThan(0);
      for (const node of observed) expect(node.age_ms).toBeGreaterThan(1000);
    } finally {
      await api.close();
    }
  });
});
