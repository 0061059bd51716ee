import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { generateApiKey, hashApiKey } from '../src/auth/api-key.util';
import { idempotencyKeyHash } from '../src/http/idempotency-key.header';
import {
  canControlNodes,
  nodeUrl,
  pauseReplay,
  resumeReplay,
  sql,
  waitForReplicasToCatchUp,
} from '../../../test/e2e/cluster.control';
import { createRider, sleep, startApi, startObserver, type RunningApi } from './api.harness';

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

describe('API keys: rotation and revocation', () => {
  let api: RunningApi;
  let other: RunningApi;
  let observer: { close(): Promise<void> };

  beforeAll(async () => {
    api = await startApi({ AUTH_MAX_STALENESS_MS: '1000' });
    other = await startApi({ AUTH_MAX_STALENESS_MS: '1000' });
    observer = await startObserver();
  });

  afterAll(async () => {
    await resumeReplay().catch(() => undefined);
    await observer.close();
    await Promise.all([api.close(), other.close()]);
  });

  it('rotation hands out a new key and revokes the one used', async () => {
    const rider = await createRider(api.url);
    const rotated = await request(api.url).post('/users/me/api-keys').set(rider.auth).expect(201);
    const fresh = rotated.body.api_key as string;
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await request(api.url).get('/rides').set(rider.auth).expect(401);
    await request(api.url).get('/rides').set(bearer(fresh)).expect(200);
  });

  it('two rotations with one key at once: one new key, the other refused', async () => {
    const riders = await Promise.all(Array.from({ length: 6 }, () => createRider(api.url)));
    const answers = await Promise.all(
      riders.map((rider) =>
        Promise.all(
          [api, other].map((target) =>
            request(target.url).post('/users/me/api-keys').set(rider.auth),
          ),
        ),
      ),
    );
    for (const pair of answers) expect(pair.map((r) => r.status).sort()).toEqual([201, 401]);
  });

  (canControlNodes ? it : it.skip)(
    'a key revoked meanwhile is not exchanged for a new one, even where a lagging replica still knows it',
    async () => {
      const rider = await createRider(api.url);
      await waitForReplicasToCatchUp();
      await sleep(300);
      // A process whose newest sample of the primary will be older than the revocation below, yet
      // within its bound: it learns no newer one (no status refresh, and it writes nothing), so a
      // replica that has not replayed the revocation may check the key. (The other processes'
      // bound, 1 s with the observer's samples, keeps them from asking such a replica.)
      const lagging = await startApi({
        AUTH_MAX_STALENESS_MS: '60000',
        STATUS_REFRESH_MS: '600000',
      });
      try {
        // Its first reads learn the timeline (until then a token's reads go to the primary).
        for (let i = 0; i < 2; i++)
          await request(lagging.url)
            .get('/rides')
            .set(rider.auth)
            .set('Consistency-Token', rider.token)
            .expect(200);
        // Every replica has the newest sample it holds (its first read's), whichever one the
        // check below tries.
        await waitForReplicasToCatchUp();
        await pauseReplay();
        await request(api.url).delete('/users/me/api-keys/current').set(rider.auth).expect(204);
        // With a token, the key is checked on a replica that has not seen the revocation; the
        // exchange itself runs on the primary, which has.
        const rotated = await request(lagging.url)
          .post('/users/me/api-keys')
          .set(rider.auth)
          .set('Consistency-Token', rider.token);
        expect(rotated.status).toBe(401);
        expect(rotated.body.api_key).toBeUndefined();
        // The exchange's refusal, not authentication's ('invalid API key'), from a request whose
        // key was checked on a replica.
        expect(rotated.body.error).toBe('invalid API key: it was revoked');
        expect(rotated.headers['served-by']).not.toBe('primary');
      } finally {
        await resumeReplay();
        await lagging.close();
      }
    },
  );

  (canControlNodes ? it : it.skip)(
    'a revoked key is refused by every process within the bound, even by lagging replicas',
    async () => {
      const rider = await createRider(api.url);
      await waitForReplicasToCatchUp();
      await sleep(300);
      // With a token the key is checked on a replica: it works there.
      const ok = await request(other.url)
        .get('/rides')
        .set(rider.auth)
        .set('Consistency-Token', rider.token)
        .expect(200);
      expect(ok.headers['served-by']).not.toBe('primary');
      // Replicas stop replaying: none of them will ever see the revocation.
      await pauseReplay();
      await request(api.url).delete('/users/me/api-keys/current').set(rider.auth).expect(204);
      await request(api.url).get('/rides').set(rider.auth).expect(401); // no token: the primary
      await sleep(1300); // the bound (1 s) and an observer tick
      for (const target of [api, other]) {
        // An old token would let a paused replica answer; the bound does not.
        await request(target.url)
          .get('/rides')
          .set(rider.auth)
          .set('Consistency-Token', rider.token)
          .expect(401);
      }
      await resumeReplay();
    },
  );

  describe('a sign-up or a rotation whose response was lost, retried with its Idempotency-Key', () => {
    const signUp = (email: string, key?: string) => {
      const r = request(api.url).post('/users').send({ email });
      return key === undefined ? r : r.set('Idempotency-Key', key);
    };
    const rotate = (apiKey: string, key?: string) => {
      const r = request(api.url).post('/users/me/api-keys').set(bearer(apiKey));
      return key === undefined ? r : r.set('Idempotency-Key', key);
    };
    const works = (apiKey: string) => request(api.url).get('/rides').set(bearer(apiKey));
    const email = () => `retry-${process.pid}-${randomUUID()}@example.com`;

    it('a sign-up gets the rider again with another key; rotating one of them revokes them all', async () => {
      const address = email();
      const key = randomUUID();
      const lost = await signUp(address, key).expect(201);
      expect(lost.headers['idempotent-replayed']).toBeUndefined();
      const again = await signUp(address.toUpperCase(), key).expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.id).toBe(lost.body.id);
      expect(again.body.email).toBe(address);
      expect(again.body.api_key).not.toBe(lost.body.api_key);
      // The lost answer's key stays valid: it may have arrived after all.
      await works(lost.body.api_key as string).expect(200);
      await works(again.body.api_key as string).expect(200);
      // The rider moves on: a rotation of one revokes every key of that sign-up, and closes it.
      const moved = await rotate(again.body.api_key as string, randomUUID()).expect(201);
      await works(lost.body.api_key as string).expect(401);
      await works(again.body.api_key as string).expect(401);
      await works(moved.body.api_key as string).expect(200);
      await signUp(address, key).expect(409);
    });

    it('a taken email with another Idempotency-Key, or none, is still a 409, and takes no key', async () => {
      const address = email();
      const first = await signUp(address, randomUUID()).expect(201);
      await signUp(address, randomUUID()).expect(409);
      await signUp(address).expect(409);
      await works(first.body.api_key as string).expect(200);
      const plain = email();
      await signUp(plain).expect(201);
      await signUp(plain, randomUUID()).expect(409);
    });

    it('a rotation, repeated with the key it revoked, gets another key; that key opens nothing else', async () => {
      const rider = await signUp(email()).expect(201);
      const old = rider.body.api_key as string;
      const key = randomUUID();
      const lost = await rotate(old, key).expect(201);
      expect(lost.headers['idempotent-replayed']).toBeUndefined();
      const again = await rotate(old, key).expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.api_key).not.toBe(lost.body.api_key);
      await works(lost.body.api_key as string).expect(200);
      await works(again.body.api_key as string).expect(200);
      // The revoked key opens nothing else: only that rotation, again.
      await works(old).expect(401);
      await request(api.url)
        .delete('/users/me/api-keys/current')
        .set(bearer(old))
        .set('Idempotency-Key', key)
        .expect(401);
      await rotate(old, randomUUID()).expect(401);
      await rotate(old).expect(401);
      // Revoking one key of that rotation revokes them all, and closes it.
      await request(api.url)
        .delete('/users/me/api-keys/current')
        .set(bearer(lost.body.api_key as string))
        .expect(204);
      await works(again.body.api_key as string).expect(401);
      await rotate(old, key).expect(401);
    });

    it('an Idempotency-Key that rotated one key is a 422 on a rotation of another, and revokes nothing', async () => {
      const rider = await signUp(email()).expect(201);
      const old = rider.body.api_key as string;
      const key = randomUUID();
      const next = (await rotate(old, key).expect(201)).body.api_key as string;
      const reused = await rotate(next, key).expect(422);
      expect(reused.body.error).toMatch(/used for another request/);
      await works(next).expect(200);
      // Rotated with a key of its own, the first rotation's request is closed: the key it
      // revoked gets nothing more (before: the reuse issued a live key for it, reopening it).
      await rotate(next, randomUUID()).expect(201);
      await rotate(old, key).expect(401);
      // Another rider's rotation with that key is its own business: no 422 (nor a hint).
      const stranger = await signUp(email()).expect(201);
      await rotate(stranger.body.api_key as string, key).expect(201);
    });

    it('a retry racing its first attempt gets a key too, and neither answer’s key is lost', async () => {
      const riders = await Promise.all(
        Array.from({ length: 6 }, () => signUp(email()).expect(201)),
      );
      for (const rider of riders) {
        const key = randomUUID();
        const pair = await Promise.all(
          [api, other].map((target) =>
            request(target.url)
              .post('/users/me/api-keys')
              .set(bearer(rider.body.api_key as string))
              .set('Idempotency-Key', key),
          ),
        );
        expect(pair.map((r) => r.status)).toEqual([201, 201]);
        expect(pair.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(1);
        for (const answer of pair) await works(answer.body.api_key as string).expect(200);
      }
    });

    it('a rotation waits for a retry of its key’s request under way, and revokes the key it issues', async () => {
      const key = randomUUID();
      const rider = await signUp(email(), key).expect(201);
      // That sign-up's retry, in the middle of its transaction: it holds the rider, as retries do.
      const retry = new Client({ connectionString: nodeUrl('primary') });
      await retry.connect();
      try {
        await retry.query('BEGIN');
        await retry.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [rider.body.id]);
        const rotation = rotate(rider.body.api_key as string).then((r) => r);
        await sleep(300);
        const issued = generateApiKey();
        await retry.query(
          'INSERT INTO api_keys (user_id, key_hash, issued_for) VALUES ($1, $2, $3)',
          [rider.body.id, hashApiKey(issued), idempotencyKeyHash(key)],
        );
        await retry.query('COMMIT');
        expect((await rotation).status).toBe(201);
        // Revoked with the key the rotation used: none of that sign-up's keys is left behind.
        await works(issued).expect(401);
        await signUp(rider.body.email as string, key).expect(409);
      } finally {
        await retry.end();
      }
    });

    it('past IDEMPOTENCY_KEY_TTL_HOURS a retry is refused as before', async () => {
      const address = email();
      const key = randomUUID();
      const rider = await signUp(address, key).expect(201);
      const old = rider.body.api_key as string;
      const rotation = randomUUID();
      const rotated = await rotate(old, rotation).expect(201);
      await sql(
        'primary',
        `UPDATE api_keys SET created_at = created_at - interval '25 hours',
                             revoked_at = revoked_at - interval '25 hours'
          WHERE user_id = $1`,
        [rider.body.id],
      );
      await signUp(address, key).expect(409);
      await rotate(old, rotation).expect(401);
      await works(rotated.body.api_key as string).expect(200);
    });

    it('a malformed Idempotency-Key, or one under 16 characters (a secret here), is a 422 on both', async () => {
      await signUp(email(), 'a b').expect(422);
      const short = await signUp(email(), 'request-0000001').expect(422);
      expect(short.body.error).toMatch(/at least 16 characters/);
      const rider = await signUp(email()).expect(201);
      await rotate(rider.body.api_key as string, 'x'.repeat(256)).expect(422);
      await rotate(rider.body.api_key as string, 'rotation-000001').expect(422);
      await works(rider.body.api_key as string).expect(200);
      // Authentication comes first: a revoked key with an invalid Idempotency-Key is a 401.
      await rotate(rider.body.api_key as string).expect(201);
      await rotate(rider.body.api_key as string, 'a b').expect(401);
    });

    it('two sign-ups of two emails with one Idempotency-Key at once: one rider, the other a 422', async () => {
      for (let pair = 0; pair < 8; pair++) {
        const key = randomUUID();
        const emails = [email(), email()];
        const answers = await Promise.all(
          [api, other].map((target, i) =>
            request(target.url)
              .post('/users')
              .set('Idempotency-Key', key)
              .send({ email: emails[i] }),
          ),
        );
        expect(answers.map((r) => r.status).sort()).toEqual([201, 422]);
        const made = await sql<{ n: number }>(
          'primary',
          'SELECT count(*)::int AS n FROM users WHERE email = ANY($1)',
          [emails],
        );
        expect(made[0]!.n).toBe(1);
      }
    });

    it('an Idempotency-Key used for another request (another email, a rotation) is a 422 on a sign-up', async () => {
      const key = randomUUID();
      const first = await signUp(email(), key).expect(201);
      const other = email();
      const reused = await signUp(other, key).expect(422);
      expect(reused.body.error).toMatch(/used for another request/);
      // No rider was made: the address is free for a sign-up of its own.
      await signUp(other, randomUUID()).expect(201);
      const rotation = randomUUID();
      await rotate(first.body.api_key as string, rotation).expect(201);
      await signUp(email(), rotation).expect(422);
      // A rotation that reused its sign-up's key: that key no longer signs the rider up again.
      const address = email();
      const reusing = randomUUID();
      const rider = await signUp(address, reusing).expect(201);
      await rotate(rider.body.api_key as string, reusing).expect(201);
      await signUp(address, reusing).expect(422);
    });
  });
});
