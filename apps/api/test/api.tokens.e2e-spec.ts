import type { InProcessApi } from '@app/dev-tools';
import { ConsistencyTokens, PRIMARY_NODE, parseLsn } from '@app/replica-routing';
import { NodeRegistry } from '@app/replica-routing/node-registry.service';
import request from 'supertest';
import { canControlNodes, waitForReplicasToCatchUp } from '../../../test/e2e/cluster.control';
import { e2eEnv } from '../../../test/e2e/e2e.env';
import { createRider, sleep, startApi, startObserver, type RunningApi } from './api.harness';

const SECRET = 'e2e-token-secret-0123456789abcdef';
const signedBy = (secret: string) =>
  new ConsistencyTokens({ tokenSecret: secret } as ConstructorParameters<
    typeof ConsistencyTokens
  >[0]);

/** Statements this API process has sent to the primary for requests. */
async function primaryStatements(
  api: RunningApi,
  auth: Record<string, string>,
  token: string,
): Promise<number> {
  const response = await request(api.url)
    .get('/replicas')
    .set(auth)
    .set('Consistency-Token', token)
    .expect(200);
  const nodes = response.body.nodes as { name: string; queries: { routed: number } }[];
  return nodes.find((n) => n.name === 'primary')!.queries.routed;
}

// Two API processes need two in-process apps: not against a running stack.
(canControlNodes ? describe : describe.skip)('signed Consistency-Tokens, two API processes', () => {
  let minting: RunningApi;
  let reading: RunningApi;
  let observer: { close(): Promise<void> };

  beforeAll(async () => {
    minting = await startApi({ TOKEN_SECRET: SECRET });
    reading = await startApi({ TOKEN_SECRET: SECRET });
    observer = await startObserver();
  });

  afterAll(async () => {
    await observer.close();
    await Promise.all([minting.close(), reading.close()]);
  });

  it('a token minted by one process is honoured by the other with no primary statement', async () => {
    const rider = await createRider(minting.url);
    expect(rider.token).toMatch(/^\d+:[0-9A-F]+\/[0-9A-F]+\.[A-Za-z0-9_-]{22}$/);
    const written = await request(minting.url)
      .post('/rides')
      .set(rider.auth)
      .send({ distance: 12.5 })
      .expect(201);
    const token = written.headers['consistency-token'] as string;
    await waitForReplicasToCatchUp();
    await sleep(300); // the reading process loads the replicas' positions
    const before = await primaryStatements(reading, rider.auth, token);
    for (let i = 0; i < 5; i++) {
      const read = await request(reading.url)
        .get(`/rides/${written.body.id as number}`)
        .set(rider.auth)
        .set('Consistency-Token', token)
        .expect(200);
      expect(read.body.distance).toBe(12.5);
      expect(read.headers['served-by']).not.toBe('primary');
    }
    expect((await primaryStatements(reading, rider.auth, token)) - before).toBe(0);
    // GET /replicas takes the signed token too.
    const view = await request(reading.url)
      .get(`/replicas?token=${encodeURIComponent(token)}`)
      .set(rider.auth)
      .expect(200);
    expect(view.body.nodes.length).toBeGreaterThan(1);
  });

  it('refuses a forged or foreign token, and an unsigned one from the future, before any query', async () => {
    const rider = await createRider(minting.url);
    const before = await primaryStatements(reading, rider.auth, rider.token);
    const [tli, position] = rider.token.split('.')[0]!.split(':') as [string, string];
    const forged = `${rider.token.split('.')[0]}.${'A'.repeat(22)}`;
    const foreign = signedBy('another-secret-0123456789abcdef').format({
      tli: Number(tli),
      lsn: parseLsn(position),
    });
    for (const token of [forged, foreign, 'FFFFFFF/0']) {
      // No Authorization header either: the token is refused before anything else.
      const response = await request(reading.url)
        .get('/rides')
        .set('Consistency-Token', token)
        .expect(400);
      expect(response.body.error).toMatch(/Invalid consistency token/);
    }
    expect((await primaryStatements(reading, rider.auth, rider.token)) - before).toBe(0);
  });
});

// Without TOKEN_SECRET: unsigned tokens, checked against the primary only after authentication.
// In-process apps: not against a running stack.
(e2eEnv().apiUrl ? describe.skip : describe)('unsigned Consistency-Tokens, no TOKEN_SECRET', () => {
  let minting: RunningApi;
  let reading: RunningApi;

  beforeAll(async () => {
    minting = await startApi();
    reading = await startApi();
  });

  afterAll(() => Promise.all([minting.close(), reading.close()]));

  /** Statements this in-process API has sent to the primary for requests, read off its registry. */
  const primaryRouted = (api: RunningApi) =>
    (api as InProcessApi).app.get(NodeRegistry).queryCount(PRIMARY_NODE).routed;

  it('an unauthenticated request with a token from the future makes no query: 401, not a primary check', async () => {
    const before = primaryRouted(reading);
    for (const token of ['FFFFFFF/0', '1:FFFFFFF/0', '7:0/1']) {
      const response = await request(reading.url)
        .get('/rides')
        .set('Consistency-Token', token)
        .expect(401);
      expect(response.headers['consistency-token']).toBeUndefined();
    }
    expect(primaryRouted(reading) - before).toBe(0);
  });

  it('probes and scrapes ignore a token from the future: 200, no query', async () => {
    const before = primaryRouted(reading);
    for (const path of ['/health/live', '/metrics'])
      await request(reading.url).get(path).set('Consistency-Token', 'FFFFFFF/0').expect(200);
    // No observer in this suite: not ready (503), but not for the token either.
    const ready = await request(reading.url)
      .get('/health/ready')
      .set('Consistency-Token', 'FFFFFFF/0');
    expect(ready.body.error ?? '').not.toMatch(/consistency token/i);
    expect(primaryRouted(reading) - before).toBe(0);
  });

  it('after authentication: a genuine token from another process is honoured, a future one refused', async () => {
    const rider = await createRider(minting.url);
    const written = await request(minting.url)
      .post('/rides')
      .set(rider.auth)
      .send({ distance: 7.5 })
      .expect(201);
    const token = written.headers['consistency-token'] as string;
    const read = await request(reading.url)
      .get(`/rides/${written.body.id as number}`)
      .set(rider.auth)
      .set('Consistency-Token', token)
      .expect(200);
    expect(read.body.distance).toBe(7.5);
    const answered = parseLsn(read.headers['consistency-token']!.split(':').at(-1)!);
    expect(answered).toBeGreaterThanOrEqual(parseLsn(token.split(':').at(-1)!));
    const future = await request(reading.url)
      .get('/rides')
      .set(rider.auth)
      .set('Consistency-Token', 'FFFFFFF/0')
      .expect(400);
    expect(future.body.error).toMatch(/Invalid consistency token/);
  });
});
