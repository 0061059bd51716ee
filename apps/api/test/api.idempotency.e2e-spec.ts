import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { sql } from '../../../test/e2e/cluster.control';
import { e2eEnv } from '../../../test/e2e/e2e.env';
import { waitUntil } from '../../../tools/src/process/wait';
import { createRider, startApi, type RunningApi, type Rider } from './api.harness';

describe('POST /rides with an Idempotency-Key', () => {
  let api: RunningApi;
  let rider: Rider;

  beforeAll(async () => {
    api = await startApi();
    rider = await createRider(api.url);
  });

  afterAll(() => api.close());

  const post = (body: object, key: string, who: Rider = rider) =>
    request(api.url).post('/rides').set(who.auth).set('Idempotency-Key', key).send(body);
  const count = async (userId: number) =>
    Number(
      (
        await sql<{ n: string }>('primary', 'SELECT count(*) AS n FROM rides WHERE user_id = $1', [
          userId,
        ])
      )[0]!.n,
    );

  it('a retry returns the first response and creates nothing', async () => {
    const key = randomUUID();
    const before = await count(rider.id);
    const first = await post({ distance: 42 }, key).expect(201);
    const retry = await post({ distance: 42 }, key).expect(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.headers['consistency-token']).toMatch(/\//);
    expect(await count(rider.id)).toBe(before + 1);
  });

  it('concurrent retries of one key create one ride', async () => {
    const key = randomUUID();
    const before = await count(rider.id);
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => post({ distance: 7 }, key)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(6).fill(201));
    expect(new Set(responses.map((r) => r.body.id as number)).size).toBe(1);
    expect(await count(rider.id)).toBe(before + 1);
  });

  it('422 for the same key with a different body', async () => {
    const key = randomUUID();
    await post({ distance: 1 }, key).expect(201);
    const response = await post({ distance: 2 }, key).expect(422);
    expect(response.body.error).toMatch(/different request body/);
  });

  it('keys are per user', async () => {
    const key = randomUUID();
    const other = await createRider(api.url);
    const mine = await post({ distance: 3 }, key).expect(201);
    const theirs = await post({ distance: 3 }, key, other).expect(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
  });

  it('an expired key is taken over by a new request', async () => {
    const key = randomUUID();
    const first = await post({ distance: 5 }, key).expect(201);
    await sql(
      'primary',
      "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1",
      [key],
    );
    const again = await post({ distance: 6 }, key).expect(201);
    expect(again.body.id).not.toBe(first.body.id);
    expect(again.body.distance).toBe(6);
  });

  it.each(['', ' ', 'a'.repeat(256), 'naïve', 'tab\there'])(
    '422 for the malformed key %j',
    async (key) => {
      const response = await request(api.url)
        .post('/rides')
        .set(rider.auth)
        .set('Idempotency-Key', key)
        .send({ distance: 1 });
      expect(response.status).toBe(422);
    },
  );
});

(e2eEnv().apiUrl ? describe.skip : describe)('the expired-key reaper', () => {
  let api: RunningApi;

  beforeAll(async () => (api = await startApi({ IDEMPOTENCY_REAP_MS: '200' })));
  afterAll(() => api.close());

  const keysOf = async (keys: string[]) =>
    (
      await sql<{ key: string }>(
        'primary',
        'SELECT key FROM idempotency_keys WHERE key = ANY($1)',
        [keys],
      )
    ).map((row) => row.key);

  it('deletes the keys older than IDEMPOTENCY_KEY_TTL_HOURS, and only those', async () => {
    const rider = await createRider(api.url);
    const [expired, young] = [randomUUID(), randomUUID()];
    for (const key of [expired, young])
      await request(api.url)
        .post('/rides')
        .set(rider.auth)
        .set('Idempotency-Key', key)
        .send({ distance: 4 })
        .expect(201);
    await sql(
      'primary',
      "UPDATE idempotency_keys SET created_at = now() - interval '24 hours 1 minute' WHERE key = $1",
      [expired],
    );
    await waitUntil(async () => (await keysOf([expired])).length === 0, {
      timeoutMs: 10_000,
      what: 'the expired key to be deleted',
    });
    expect(await keysOf([expired, young])).toEqual([young]);
  });
});
