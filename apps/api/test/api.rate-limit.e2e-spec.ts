import { request as httpRequest } from 'node:http';
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
    // Other spellings of the path reach the same handler, and the same limit.
    for (const path of ['/users/', '/USERS', '/Users'])
      await request(api.url)
        .post(path)
        .send({ email: `over-${process.pid}-${Date.now()}-${path.length}@example.com` })
        .expect(429);
  });

  it('requests per rider: a burst beyond it gets 429 with Retry-After, other riders are not held back', async () => {
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

  it('a rotated key shares its rider’s bucket: rotating does not refill it', async () => {
    const limited = await startApi({ RATE_LIMIT_KEY_RPS: '2', RATE_LIMIT_SIGNUP_PER_MIN: '0' });
    try {
      const rider = await createRider(limited.url);
      await request(limited.url).get('/rides').set(rider.auth).expect(200);
      const rotated = await request(limited.url)
        .post('/users/me/api-keys')
        .set(rider.auth)
        .expect(201);
      const refused = await request(limited.url)
        .get('/rides')
        .set('Authorization', `Bearer ${rotated.body.api_key as string}`)
        .expect(429);
      expect(refused.body.error).toMatch(/too many requests from this rider/);
    } finally {
      await limited.close();
    }
  });
});

(e2eEnv().apiUrl ? describe.skip : describe)('load shedding', () => {
  const burst = (url: string, auth: Record<string, string>, n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        request(url).get('/rides').set(auth).set('X-Request-Id', `burst-${i}`),
      ),
    );

  it('beyond API_MAX_IN_FLIGHT with no queue: 503 with Retry-After at once, and the rest served', async () => {
    const api = await startApi({ API_MAX_IN_FLIGHT: '2', API_MAX_QUEUED: '0' });
    try {
      const rider = await createRider(api.url);
      const answers = await burst(api.url, rider.auth, 20);
      const shed = answers.filter((a) => a.status === 503);
      expect(shed.length).toBeGreaterThan(0);
      expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(2);
      expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
      for (const a of shed) {
        expect(a.headers['retry-after']).toBe('1');
        expect(a.headers['x-request-id']).toMatch(/^burst-\d+$/);
        expect(a.body).toEqual({ error: 'The API is busy; retry in 1 s.' });
      }
      await request(api.url).get('/health/live').expect(200);
      const metrics = await request(api.url).get('/metrics').expect(200);
      const counted = /^http_requests_shed_total (\d+)/m.exec(metrics.text);
      expect(Number(counted?.[1])).toBeGreaterThanOrEqual(shed.length);
    } finally {
      await api.close();
    }
  });

  it('a body still uploading holds no place: slow clients cannot fill API_MAX_IN_FLIGHT', async () => {
    const api = await startApi({ API_MAX_IN_FLIGHT: '2', API_MAX_QUEUED: '0' });
    const { hostname, port } = new URL(api.url);
    const slow = Array.from({ length: 2 }, () => {
      const req = httpRequest({
        host: hostname,
        port,
        method: 'POST',
        path: '/users',
        headers: { 'content-type': 'application/json', 'content-length': '1000' },
      });
      req.on('error', () => undefined);
      req.write('{"email": "'); // and nothing more
      return req;
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const rider = await createRider(api.url);
      await request(api.url).get('/rides').set(rider.auth).expect(200);
    } finally {
      for (const req of slow) req.destroy();
      await api.close();
    }
  });

  it('requests beyond API_MAX_IN_FLIGHT wait their turn in the queue instead of being refused', async () => {
    const api = await startApi({ API_MAX_IN_FLIGHT: '1', API_MAX_QUEUED: '100' });
    try {
      const rider = await createRider(api.url);
      const answers = await burst(api.url, rider.auth, 20);
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    } finally {
      await api.close();
    }
  });

  it('a request that waited API_QUEUE_WAIT_MS is refused with 503 and Retry-After', async () => {
    const api = await startApi({
      API_MAX_IN_FLIGHT: '1',
      API_MAX_QUEUED: '100',
      API_QUEUE_WAIT_MS: '1',
    });
    try {
      const rider = await createRider(api.url);
      const answers = await burst(api.url, rider.auth, 20);
      const shed = answers.filter((a) => a.status === 503);
      expect(shed.length).toBeGreaterThan(0);
      for (const a of shed) {
        expect(Number(a.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(a.body.error).toMatch(/^The API is busy; retry in \d+ s\.$/);
      }
      expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
    } finally {
      await api.close();
    }
  });
});
