import { Agent, request as httpRequest } from 'node:http';
import request from 'supertest';
import { e2eEnv } from '../../../test/e2e/e2e.env';
import { canControlNodes, sql } from '../../../test/e2e/cluster.control';
import { createRider, startApi, startObserver, type RunningApi } from './api.harness';

/** The operator routes: health probes, metrics, the dashboard; none needs a key. */
describe('operations routes', () => {
  let api: RunningApi;
  let observer: { close(): Promise<void> };

  beforeAll(async () => {
    api = await startApi();
    observer = await startObserver();
  });

  afterAll(async () => {
    await observer.close();
    await api.close();
  });

  // Against a running stack, its simulator writes rides between the two reads.
  (canControlNodes ? it : it.skip)(
    "GET /dashboard/state has the log panel: the rides' sum and count, and each consumer",
    async () => {
      const rider = await createRider(api.url);
      await request(api.url).post('/rides').set(rider.auth).send({ distance: 2.5 }).expect(201);
      const { body } = await request(api.url).get('/dashboard/state').expect(200);
      const log = body.log as {
        total: string;
        rides: string;
        backlog: number;
        consumers: unknown[];
      };
      const [truth] = await sql<{ total: string; rides: string }>(
        'primary',
        'SELECT coalesce(sum(distance), 0)::text AS total, count(*)::text AS rides FROM rides',
      );
      // Read on the primary at most 2 s before; nothing else writes rides in this suite meanwhile.
      expect({ total: log.total, rides: log.rides }).toEqual(truth);
      expect(typeof log.backlog).toBe('number');
      expect(Array.isArray(log.consumers)).toBe(true);
    },
  );

  (e2eEnv().apiUrl ? it.skip : it)(
    'closing drains HTTP under keep-alive traffic: requests under way are answered, then it closes',
    async () => {
      const own = await startApi();
      const agent = new Agent({ keepAlive: true, maxSockets: 2 });
      const statuses: (number | 'refused')[] = [];
      let stop = false;
      // A request whose body takes 150 ms to arrive: its connection is busy when the close begins.
      const slowPost = () =>
        new Promise<number | 'refused'>((resolve) => {
          const body = JSON.stringify({ email: 'not an address' });
          const req = httpRequest(
            `${own.url}/users`,
            { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', () => resolve('refused'));
          req.write(body.slice(0, 5));
          setTimeout(() => req.end(body.slice(5)), 150);
        });
      // Two clients that never stop sending on their kept-alive connections, until refused.
      // Each waits after its first answer for the other's: their second requests start together.
      // Each client's request now going, with the time its answer came.
      const current: Promise<{ status: number | 'refused'; at: number }>[] = [];
      const first = [slowPost(), slowPost()];
      const bothAnswered = Promise.all(first);
      const clients = first.map(async (answer, c) => {
        statuses.push(await answer);
        await bothAnswered;
        for (let i = 0; i < 1000 && !stop; i++) {
          const timed = slowPost().then((status) => ({ status, at: Date.now() }));
          const { status } = await (current[c] = timed);
          statuses.push(status);
          if (status === 'refused') return;
        }
      });
      let closed = false;
      try {
        // Both connections open and kept alive, then 50 ms into the second requests' bodies
        // (of 150 ms): those are under way when the close begins.
        await bothAnswered;
        await new Promise((resolve) => setTimeout(resolve, 50));
        const underWay = [...current];
        const closeBegan = Date.now();
        const closing = own.close().then(() => {
          closed = true;
          return 'closed';
        });
        const bound = new Promise((resolve) => setTimeout(resolve, 10_000, 'still open'));
        expect(await Promise.race([closing, bound])).toBe('closed');
        stop = true;
        await Promise.all(clients);
        // The requests under way got their answers (422: not an address); every other
        // request got one too, or was refused after the close.
        const answered = await Promise.all(underWay);
        expect(answered.map((a) => a.status)).toEqual([422, 422]);
        expect(answered.filter((a) => a.at < closeBegan)).toEqual([]); // still under way at the close
        expect(statuses.filter((s) => s !== 422 && s !== 'refused')).toEqual([]);
      } finally {
        stop = true;
        agent.destroy();
        // A failed race leaves it open: closed here, not left running into the next tests.
        if (!closed) await own.close();
      }
    },
  );

  it('GET /health/live is 200', async () => {
    const response = await request(api.url).get('/health/live').expect(200);
    expect(response.body).toMatchObject({ status: 'ok' });
  });

  it('GET /health/ready is 200 with the primary up and the observer running', async () => {
    // The first status refresh after start may still be on its way.
    let response = await request(api.url).get('/health/ready');
    for (let i = 0; i < 50 && response.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      response = await request(api.url).get('/health/ready');
    }
    expect([response.status, response.body]).toEqual([
      200,
      expect.objectContaining({
        status: 'ok',
        details: { routing: expect.objectContaining({ status: 'up' }) },
      }),
    ]);
  });

  it('GET /metrics shows the process and HTTP metrics without a key', async () => {
    // Behind a round-robin load balancer (test:compose:ha) each process must have seen one.
    for (let i = 0; i < 4; i++) await request(api.url).get('/health/live').expect(200);
    const response = await request(api.url).get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.text).toContain('process_cpu_user_seconds_total');
    expect(response.text).toMatch(
      /http_request_duration_seconds_count\{[^}]*route="\/health\/live"[^}]*\} \d+/,
    );
  });

  it('a request id is echoed, taken from X-Request-Id when valid', async () => {
    const mine = await request(api.url).get('/health').set('X-Request-Id', 'abc-123').expect(200);
    expect(mine.headers['x-request-id']).toBe('abc-123');
    const made = await request(api.url).get('/health').set('X-Request-Id', 'bad id!').expect(200);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('GET /dashboard serves the page and uPlot from this server', async () => {
    const page = await request(api.url).get('/dashboard').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('/dashboard/uplot.js');
    expect(page.text).not.toMatch(/<script[^>]+src="https?:/);
    const script = await request(api.url).get('/dashboard/uplot.js').expect(200);
    expect(script.text).toContain('uPlot');
    const state = await request(api.url).get('/dashboard/state').expect(200);
    expect(state.body.nodes[0]).toMatchObject({ name: 'primary', role: 'primary' });
  });
});
