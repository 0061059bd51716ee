import { validateConfig } from '@app/config';
import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SimulatorConfig } from './simulator.config';
import { SimulatorService } from './simulator.service';

/** The rider the fake API signs up. */
const RIDER = 7;

type Json = (status: number, value: unknown, headers?: Record<string, string>) => void;

/** A fake API: `handle` gets each request (but GET /health) with its body, and answers in JSON. */
function fakeApi(handle: (req: IncomingMessage, text: string, json: Json) => void): Server {
  return createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const json: Json = (status, value, headers = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(value));
      };
      if (req.url === '/health') return json(200, { ok: true });
      handle(req, text, json);
    });
  });
}

/**
 * An API that answers POSTs with 429 and Retry-After (`retryAfter` seconds):
 * the first sign-up and the first ride by default, every ride with
 * `everyRide` (and then no sign-up). Its rides belong to RIDER, but what a
 * read by id shows belongs to `owners.read`, and a list's second row to
 * `owners.list`. It stores (and answers) `stored(distance)` of the distance sent.
 */
function throttlingApi(
  retryAfter = 1,
  everyRide = false,
  owners = { read: RIDER, list: RIDER },
  stored = (sent: number) => sent,
) {
  const calls: { method: string; url: string; at: number; key?: string }[] = [];
  let distance = 0;
  const server = fakeApi((req, text, json) => {
    const key = req.headers['idempotency-key'] as string | undefined;
    calls.push({ method: req.method!, url: req.url!, at: Date.now(), key });
    const first = calls.filter((c) => c.url === req.url && c.method === req.method).length === 1;
    const throttled = everyRide ? req.url === '/rides' : first;
    if (req.method === 'POST' && throttled)
      return json(429, { message: 'slow down' }, { 'retry-after': String(retryAfter) });
    if (req.url === '/users') return json(201, { id: RIDER, api_key: 'k' });
    if (req.url === '/rides') {
      distance = stored((JSON.parse(text) as { distance: number }).distance);
      return json(201, { id: 1, distance, user_id: RIDER }, { 'consistency-token': '1:0/1' });
    }
    const read = { 'served-by': 'replica0', 'consistency-token': '1:0/1' };
    if (req.url!.startsWith('/rides?')) {
      const rides = [
        { id: 1, distance, user_id: RIDER },
        { id: 2, distance: 5, user_id: owners.list },
      ];
      return json(200, { rides }, read);
    }
    return json(200, { id: 1, distance, user_id: owners.read }, read);
  });
  return { server, calls };
}

/**
 * An API whose rider rotates keys: a rotation answers 503 `failFirst` times,
 * then issues `k<n>`; a read with a revoked key is answered `revokedStatus`
 * (a 200 serves it). Records every request's key, Idempotency-Key and token.
 */
function rotatingApi(failFirst = 0, revokedStatus = 401) {
  const calls: { method: string; url: string; auth?: string; key?: string; token?: string }[] = [];
  let issued = 1;
  const revoked = new Set<string>();
  let failures = 0;
  let distance = 0;
  const server = fakeApi((req, text, json) => {
    const auth = req.headers.authorization;
    calls.push({
      method: req.method!,
      url: req.url!,
      auth,
      key: req.headers['idempotency-key'] as string | undefined,
      token: req.headers['consistency-token'] as string | undefined,
    });
    if (req.url === '/users') return json(201, { id: RIDER, api_key: 'k1' });
    if (req.url === '/users/me/api-keys') {
      if (failures++ < failFirst) return json(503, { error: 'primary unavailable' });
      revoked.add(auth!);
      return json(201, { api_key: `k${++issued}` }, { 'consistency-token': `1:0/${issued}00` });
    }
    if (revoked.has(auth!) && revokedStatus !== 200)
      return json(revokedStatus, { error: 'invalid API key' });
    const read = { 'served-by': 'replica0', 'consistency-token': '1:0/1' };
    if (req.url === '/rides') {
      distance = (JSON.parse(text) as { distance: number }).distance;
      return json(201, { id: 1, distance, user_id: RIDER }, read);
    }
    if (req.url!.startsWith('/rides?')) return json(200, { rides: [] }, read);
    return json(200, { id: 1, distance, user_id: RIDER }, read);
  });
  return { server, calls };
}

/** One user against `url`, reading back at once, with `settings` on top. */
function oneUser(url: string, settings: Record<string, string>) {
  return validateConfig(SimulatorConfig, {
    API_URL: url,
    SIM_USERS: '1',
    SIM_WAIT_MAX_MS: '0',
    ...settings,
  });
}

const closed = (server: Server) => new Promise((resolve) => server.close(resolve));

/** Listens on 127.0.0.1; its base URL. */
async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('SimulatorService', () => {
  let server: Server;
  let calls: ReturnType<typeof throttlingApi>['calls'];
  let url: string;
  beforeAll(async () => {
    ({ server, calls } = throttlingApi());
    url = await listen(server);
    Logger.overrideLogger(false);
  });
  afterAll(() => closed(server));

  it('waits as long as a 429 says, then signs up and writes again (the same Idempotency-Key)', async () => {
    const config = oneUser(url, { SIM_RIDES: '1', SIM_WRITE_RETRY_S: '10' });
    const stats = await new SimulatorService(config).run(new AbortController().signal);
    const posts = (path: string) => calls.filter((c) => c.method === 'POST' && c.url === path);
    expect(posts('/users')).toHaveLength(2);
    expect(posts('/rides')).toHaveLength(2);
    expect(posts('/rides')[1]!.key).toBe(posts('/rides')[0]!.key);
    for (const path of ['/users', '/rides'])
      expect(posts(path)[1]!.at - posts(path)[0]!.at).toBeGreaterThanOrEqual(950);
    // The ride was written once and read back.
    expect(stats.stale).toBe(0);
    expect(calls.filter((c) => c.method === 'GET')).toHaveLength(1);
  });

  it('sends nothing more once stopped while it waits out a 429', async () => {
    const api = throttlingApi(20, true);
    const base = await listen(api.server);
    try {
      const config = oneUser(base, { SIM_WRITE_RETRY_S: '60' });
      const stop = new AbortController();
      const run = new SimulatorService(config).run(stop.signal);
      // Signed up, its first ride answered 429 with Retry-After: 20: it is waiting.
      for (let i = 0; i < 100 && !api.calls.some((c) => c.url === '/rides'); i++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      stop.abort();
      const stats = await run;
      // One write, none after the stop, and that ride counted as given up.
      expect(api.calls.filter((c) => c.url === '/rides')).toHaveLength(1);
      expect(stats.givenUp).toBe(1);
    } finally {
      await closed(api.server);
    }
  });

  it('counts a ride stored with another distance than it sent as stale, even when its write echoed that', async () => {
    const api = throttlingApi(1, false, { read: RIDER, list: RIDER }, (sent) => sent + 1);
    const base = await listen(api.server);
    try {
      const config = oneUser(base, { SIM_RIDES: '1', SIM_WRITE_RETRY_S: '10' });
      const stats = await new SimulatorService(config).run(new AbortController().signal);
      expect(stats.stale).toBe(1);
    } finally {
      await closed(api.server);
    }
  });

  it.each([
    ['by id', { read: RIDER + 1, list: RIDER }],
    ['in a list', { read: RIDER, list: RIDER + 1 }],
  ])('counts a ride of another rider, shown %s, as a stale read', async (_, owners) => {
    const api = throttlingApi(1, false, owners);
    const base = await listen(api.server);
    const dir = mkdtempSync(join(tmpdir(), 'simulator-spec-'));
    try {
      const config = oneUser(base, {
        SIM_RIDES: '1',
        SIM_WRITE_RETRY_S: '10',
        // Lists are read only while a history is recorded.
        SIM_HISTORY_FILE: join(dir, 'history.jsonl'),
      });
      const stats = await new SimulatorService(config).run(new AbortController().signal);
      expect(stats.stale).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await closed(api.server);
    }
  });

  /** An API whose rides are stored: POST /rides answers 503 `failing(n)` for its n-th call; GETs answer `readStatus`. */
  function storingApi(failing: (n: number) => boolean, readStatus = 200) {
    const gets: string[] = [];
    const rides = new Map<number, number>();
    let posts = 0;
    const server = fakeApi((req, text, json) => {
      if (req.url === '/users') return json(201, { id: RIDER, api_key: 'k' });
      if (req.method === 'POST') {
        if (failing(++posts)) return json(503, { error: 'primary unavailable' });
        const id = rides.size + 1;
        rides.set(id, (JSON.parse(text) as { distance: number }).distance);
        return json(201, { id, distance: rides.get(id), user_id: RIDER });
      }
      gets.push(req.url!);
      const id = Number(req.url!.split('/')[2]);
      if (readStatus !== 200) return json(readStatus, { error: 'busy' });
      return json(200, { id, distance: rides.get(id), user_id: RIDER }, { 'served-by': 'r0' });
    });
    return { server, gets };
  }

  it('reads its last ride again while a write is retried, and checks it', async () => {
    // The second ride's first three attempts fail: one read-back in each pause (100, 200, 400 ms).
    const api = storingApi((n) => n >= 2 && n <= 4);
    const base = await listen(api.server);
    try {
      const config = oneUser(base, { SIM_RIDES: '2', SIM_WRITE_RETRY_S: '10' });
      const stats = await new SimulatorService(config).run(new AbortController().signal);
      expect(api.gets).toEqual(['/rides/1', '/rides/1', '/rides/1', '/rides/1', '/rides/2']);
      expect(stats).toMatchObject({ reads: 5, checked: 5, stale: 0, acked: 2 });
    } finally {
      await closed(api.server);
    }
  });

  it('counts a read answered 503 as an error, not as a read it checked', async () => {
    const api = storingApi(() => false, 503);
    const base = await listen(api.server);
    try {
      const config = oneUser(base, { SIM_RIDES: '2', SIM_WRITE_RETRY_S: '10' });
      const stats = await new SimulatorService(config).run(new AbortController().signal);
      expect(stats).toMatchObject({ reads: 2, checked: 0, stale: 0 });
      expect(stats.errors.get('read_503')).toBe(2);
      expect(stats.summary()).toContain(' checked=0 ');
    } finally {
      await closed(api.server);
    }
  });

  it('sends no token with the reads of the first SIM_TOKENLESS_USERS users, and its token with the others’', async () => {
    const reads = async (tokenless: string) => {
      const api = rotatingApi();
      const base = await listen(api.server);
      try {
        const config = oneUser(base, {
          SIM_USERS: '2',
          SIM_TOKENLESS_USERS: tokenless,
          SIM_RIDES: '20',
        });
        await new SimulatorService(config).run(new AbortController().signal);
      } finally {
        await closed(api.server);
      }
      return api.calls.filter((c) => c.method === 'GET').map((c) => c.token ?? 'none');
    };
    const mixed = await reads('1');
    expect(mixed).toHaveLength(20);
    expect(mixed).toContain('none');
    expect(mixed).toContain('1:0/1');
    expect(new Set(await reads('0'))).toEqual(new Set(['1:0/1']));
  });

  describe('with SIM_ROTATE_EVERY', () => {
    const rotating = async (api: ReturnType<typeof rotatingApi>, rides: string) => {
      const base = await listen(api.server);
      try {
        const config = oneUser(base, {
          SIM_RIDES: rides,
          SIM_ROTATE_EVERY: '1',
          SIM_WRITE_RETRY_S: '10',
        });
        return await new SimulatorService(config).run(new AbortController().signal);
      } finally {
        await closed(api.server);
      }
    };

    it('rotates its key between rides, and finds the old one refused with the rotation’s token', async () => {
      const api = rotatingApi();
      const stats = await rotating(api, '2');
      expect(stats.rotations).toBe(1);
      expect(stats.stale).toBe(0);
      const rotation = api.calls.findIndex((c) => c.url === '/users/me/api-keys');
      expect(api.calls[rotation]).toMatchObject({ auth: 'Bearer k1', key: expect.any(String) });
      expect(api.calls[rotation + 1]).toMatchObject({
        method: 'GET',
        auth: 'Bearer k1',
        token: '1:0/200',
      });
      const writes = api.calls.filter((c) => c.method === 'POST' && c.url === '/rides');
      expect(writes.map((c) => c.auth)).toEqual(['Bearer k1', 'Bearer k2']);
    });

    it('retries a failed rotation with the same Idempotency-Key and the old key', async () => {
      const api = rotatingApi(2);
      const stats = await rotating(api, '2');
      const rotations = api.calls.filter((c) => c.url === '/users/me/api-keys');
      expect(rotations).toHaveLength(3);
      expect(new Set(rotations.map((c) => `${c.auth} ${c.key}`)).size).toBe(1);
      expect(stats.errors.get('rotate_503')).toBe(2);
      expect(stats.rotations).toBe(1);
    });

    it('counts a revoked key that still reads as a stale read', async () => {
      const stats = await rotating(rotatingApi(0, 200), '2');
      expect(stats.stale).toBe(1);
    });

    it('counts any other answer to the revoked key but its 401 as an error of its kind', async () => {
      const stats = await rotating(rotatingApi(0, 500), '2');
      expect(stats.stale).toBe(0);
      expect(stats.errors.get('revoked_500')).toBe(1);
    });
  });
});
