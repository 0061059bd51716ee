import { validateConfig } from '@app/config';
import { Logger } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimulatorConfig } from './simulator.config';
import { SimulatorService } from './simulator.service';

/** An API that answers the first sign-up and the first ride with 429 and Retry-After: 1. */
function throttlingApi() {
  const calls: { method: string; url: string; at: number; key?: string }[] = [];
  let distance = 0;
  const body = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => resolve(text));
    });
  const server = createServer((req, res) => {
    void body(req).then((text) => {
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(value));
      };
      if (req.url === '/health') return json(200, { ok: true });
      const key = req.headers['idempotency-key'] as string | undefined;
      calls.push({ method: req.method!, url: req.url!, at: Date.now(), key });
      const first = calls.filter((c) => c.url === req.url && c.method === req.method).length === 1;
      if (req.method === 'POST' && first)
        return json(429, { message: 'slow down' }, { 'retry-after': '1' });
      if (req.url === '/users') return json(201, { api_key: 'k' });
      if (req.url === '/rides') {
        distance = (JSON.parse(text) as { distance: number }).distance;
        return json(201, { id: 1, distance }, { 'consistency-token': '1:0/1' });
      }
      return json(200, { id: 1, distance }, { 'served-by': 'replica0' });
    });
  });
  return { server, calls };
}

describe('SimulatorService', () => {
  let server: Server;
  let calls: ReturnType<typeof throttlingApi>['calls'];
  let url: string;
  beforeAll(async () => {
    ({ server, calls } = throttlingApi());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    Logger.overrideLogger(false);
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('waits as long as a 429 says, then signs up and writes again (the same Idempotency-Key)', async () => {
    const config = validateConfig(SimulatorConfig, {
      API_URL: url,
      SIM_USERS: '1',
      SIM_RIDES: '1',
      SIM_WAIT_MAX_MS: '0',
      SIM_WRITE_RETRY_S: '10',
    });
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
});
