import request from 'supertest';
import { e2eEnv } from '../../../test/e2e/e2e.env';
import { createRider, startApi, type RunningApi } from './api.harness';

// Its own API processes with low limits: not against a running stack.
(e2eEnv().apiUrl ? describe.skip : describe)('rate limits', () => {
  let api: RunningApi;

  beforeAll(async () => {
    api = await startApi({ RATE_LIMIT_KEY_RPS: '2', RATE_LIMIT_SIGNUP_PER_MIN: '2' });
  });

  afterAll(() => api.close());

  it('sign-ups per client address: 429 with Retry-After beyond the limit', async () => {
    await createRider(api.url);
    await createRider(api.url);
    const refused = await request(api.url)
      .post('/users')
      .send({ email: `over-${process.pid}-${Date.now()}@example.com` })
      .expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.body.error).toMatch(/too many sign-ups/);
  });

  it('requests per API key: a burst beyond it gets 429 with Retry-After, other keys are not held back', async () => {
    const limited = await startApi({ RATE_LIMIT_KEY_RPS: '2', RATE_LIMIT_SIGNUP_PER_MIN: '0' });
    try {
      const [a, b] = [await createRider(limited.url), await createRider(limited.url)];
      const statuses = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await request(limited.url).get('/rides').set(a.auth)).status);
      expect(statuses.slice(0, 2)).toEqual([200, 200]);
      expect(statuses).toContain(429);
      const refused = await request(limited.url).get('/rides').set(a.auth).expect(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      await request(limited.url).get('/rides').set(b.auth).expect(200);
    } finally {
      await limited.close();
    }
  });
});
