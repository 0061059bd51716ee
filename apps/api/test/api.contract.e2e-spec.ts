import request from 'supertest';
import { createRider, startApi, startObserver, type RunningApi, type Rider } from './api.harness';

/** A WAL position, signed when the API has a TOKEN_SECRET (a compose stack gets .env's). */
const TOKEN_FORMAT = /^\d+:[0-9A-F]+\/[0-9A-F]+(\.[A-Za-z0-9_-]{22})?$/;

/** Every status code of the API contract (docs/api.md). */
describe('API contract', () => {
  let api: RunningApi;
  let observer: { close(): Promise<void> };
  let alice: Rider;
  let bob: Rider;

  beforeAll(async () => {
    api = await startApi();
    observer = await startObserver();
    alice = await createRider(api.url);
    bob = await createRider(api.url);
  });

  afterAll(async () => {
    await observer.close();
    await api.close();
  });

  const expectErrorBody = (body: unknown) => {
    expect(body).toEqual({ error: expect.any(String) });
    expect(JSON.stringify(body)).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  };

  describe('POST /users', () => {
    it('201 with id, email and a key shown once; write headers', async () => {
      const response = await request(api.url)
        .post('/users')
        .send({ email: 'Carol@Example.com' })
        .expect(201);
      expect(response.body).toEqual({
        id: expect.any(Number),
        email: 'Carol@Example.com',
        api_key: expect.stringMatching(/^[\w-]{43}$/),
      });
      expect(response.headers['consistency-token']).toMatch(TOKEN_FORMAT);
      expect(response.headers['served-by']).toBe('primary');
    });

    it('409 for a taken email, whatever its case', async () => {
      await request(api.url).post('/users').send({ email: 'dave@example.com' }).expect(201);
      const response = await request(api.url)
        .post('/users')
        .send({ email: 'DAVE@example.com' })
        .expect(409);
      expectErrorBody(response.body);
    });

    it.each([
      {},
      { email: 'not-an-email' },
      { email: 42 },
      { email: `${'a'.repeat(250)}@example.com` },
    ])('422 for %j', async (body) => {
      expectErrorBody((await request(api.url).post('/users').send(body).expect(422)).body);
    });
  });

  describe('authentication', () => {
    it.each([
      ['missing', {}],
      ['wrong key', { Authorization: 'Bearer aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }],
      ['wrong scheme', { Authorization: 'Basic dXNlcjpwYXNz' }],
      ['the original demo’s email', { Authorization: 'alice@example.com' }],
    ])('401 when the key is %s', async (_, headers) => {
      expectErrorBody((await request(api.url).get('/rides').set(headers).expect(401)).body);
      expectErrorBody(
        (await request(api.url).post('/rides').set(headers).send({ distance: 1 }).expect(401)).body,
      );
    });
  });

  describe('POST /rides', () => {
    it('201 from JSON, distance rounded to one decimal', async () => {
      const response = await request(api.url)
        .post('/rides')
        .set(alice.auth)
        .send({ distance: 12.34 })
        .expect(201);
      expect(response.body).toEqual({
        id: expect.any(Number),
        distance: 12.3,
        user_id: alice.id,
        created_at: expect.any(String),
      });
      expect(response.headers['consistency-token']).toMatch(TOKEN_FORMAT);
      expect(response.headers['served-by']).toBe('primary');
    });

    it('201 from a form, as the original', async () => {
      const response = await request(api.url)
        .post('/rides')
        .set(alice.auth)
        .type('form')
        .send('distance=7.25')
        .expect(201);
      expect(response.body.distance).toBe(7.3);
    });

    it.each([
      ['missing', '{}'],
      ['a string', '{"distance":"12"}'],
      ['null', '{"distance":null}'],
      ['an array', '{"distance":[1]}'],
      ['infinite', '{"distance":1e999}'],
      ['negative', '{"distance":-1}'],
      ['absurdly large', '{"distance":1e12}'],
    ])('422 when distance is %s', async (_, body) => {
      const response = await request(api.url)
        .post('/rides')
        .set(alice.auth)
        .set('Content-Type', 'application/json')
        .send(body)
        .expect(422);
      expectErrorBody(response.body);
    });

    it('422 for a non-numeric form value', async () => {
      await request(api.url)
        .post('/rides')
        .set(alice.auth)
        .type('form')
        .send('distance=far')
        .expect(422);
    });

    it('400 for malformed JSON', async () => {
      const response = await request(api.url)
        .post('/rides')
        .set(alice.auth)
        .set('Content-Type', 'application/json')
        .send('{"distance":')
        .expect(400);
      expectErrorBody(response.body);
    });
  });

  describe('GET /rides/:id', () => {
    let rideId: number;
    let token: string;

    beforeAll(async () => {
      const response = await request(api.url)
        .post('/rides')
        .set(alice.auth)
        .send({ distance: 99.9 })
        .expect(201);
      rideId = response.body.id as number;
      token = response.headers['consistency-token'] as string;
    });

    it('200 with the same fields, Served-By and a covering token', async () => {
      const response = await request(api.url)
        .get(`/rides/${rideId}`)
        .set(alice.auth)
        .set('Consistency-Token', token)
        .expect(200);
      expect(response.body).toEqual({
        id: rideId,
        distance: 99.9,
        user_id: alice.id,
        created_at: expect.any(String),
      });
      // `primary` or a replica's name (replica0..., or a Patroni member's such as pg1).
      expect(response.headers['served-by']).toMatch(/^[A-Za-z0-9_.-]+$/);
      const returned = response.headers['consistency-token'] as string;
      expect(returned).toMatch(TOKEN_FORMAT);
    });

    it('404 for another user’s ride, as for an unknown one', async () => {
      expectErrorBody(
        (await request(api.url).get(`/rides/${rideId}`).set(bob.auth).expect(404)).body,
      );
      await request(api.url).get('/rides/999999999').set(alice.auth).expect(404);
    });

    it.each(['abc', '-1', '1.5', '99999999999999999999999', '1;DROP TABLE rides'])(
      '404, never 500, for id %j',
      async (id) => {
        expectErrorBody(
          (
            await request(api.url)
              .get(`/rides/${encodeURIComponent(id)}`)
              .set(alice.auth)
              .expect(404)
          ).body,
        );
      },
    );

    it.each(['zz', '0/', '1/2/3', 'FFFFFFFFF/0'])(
      '400 for a malformed Consistency-Token %j',
      async (bad) => {
        expectErrorBody(
          (
            await request(api.url)
              .get(`/rides/${rideId}`)
              .set(alice.auth)
              .set('Consistency-Token', bad)
              .expect(400)
          ).body,
        );
      },
    );

    it('400 for a token the primary has not reached', async () => {
      await request(api.url)
        .get(`/rides/${rideId}`)
        .set(alice.auth)
        .set('Consistency-Token', 'FFFFFFFF/0')
        .expect(400);
    });
  });

  describe('GET /rides', () => {
    it('lists the caller’s rides, newest first, page by page', async () => {
      const rider = await createRider(api.url);
      const ids: number[] = [];
      for (const distance of [1, 2, 3, 4, 5]) {
        ids.push(
          (await request(api.url).post('/rides').set(rider.auth).send({ distance }).expect(201))
            .body.id as number,
        );
      }
      const first = await request(api.url).get('/rides?limit=2').set(rider.auth).expect(200);
      expect(first.body.rides.map((r: { id: number }) => r.id)).toEqual([ids[4], ids[3]]);
      const second = await request(api.url)
        .get(`/rides?limit=2&before=${first.body.next_before as number}`)
        .set(rider.auth)
        .expect(200);
      expect(second.body.rides.map((r: { id: number }) => r.id)).toEqual([ids[2], ids[1]]);
      const last = await request(api.url)
        .get(`/rides?limit=2&before=${second.body.next_before as number}`)
        .set(rider.auth)
        .expect(200);
      expect(last.body).toEqual({
        rides: [expect.objectContaining({ id: ids[0] })],
        next_before: null,
      });
    });

    it.each(['limit=0', 'limit=101', 'limit=x', 'before=abc'])('422 for %s', async (query) => {
      expectErrorBody(
        (await request(api.url).get(`/rides?${query}`).set(alice.auth).expect(422)).body,
      );
    });
  });

  it('GET /replicas shows every node as this router sees it', async () => {
    const response = await request(api.url).get('/replicas').set(alice.auth).expect(200);
    const names = response.body.nodes.map((n: { name: string }) => n.name);
    expect(names[0]).toBe('primary');
    expect(names.length).toBeGreaterThan(1);
    expect(response.body.nodes[1]).toEqual(
      expect.objectContaining({
        role: 'replica',
        lsn: expect.any(String),
        age_ms: expect.any(Number),
        reachable: true,
        why_not: null,
      }),
    );
  });

  it('GET /replicas?token= says why each node would not serve a read needing that position', async () => {
    const far = 'FFFFFFF/0';
    const response = await request(api.url).get(`/replicas?token=${far}`).set(alice.auth);
    expect(response.status).toBe(200);
    const replicas = (response.body.nodes as { role: string; why_not: string | null }[]).filter(
      (n) => n.role === 'replica',
    );
    expect(replicas.length).toBeGreaterThan(0);
    for (const node of replicas) expect(node.why_not).toMatch(/the read needs FFFFFFF\/0$/);
    // The token as a response carries it, signed or not.
    const own = await request(api.url)
      .get(`/replicas?token=${encodeURIComponent(alice.token)}`)
      .set(alice.auth)
      .expect(200);
    expect(own.body.nodes).toHaveLength(response.body.nodes.length);
    const bad = await request(api.url).get('/replicas?token=nope').set(alice.auth).expect(400);
    expectErrorBody(bad.body);
  });

  it('404 with an error body for an unknown route', async () => {
    expectErrorBody((await request(api.url).get('/nope').set(alice.auth).expect(404)).body);
  });
});
