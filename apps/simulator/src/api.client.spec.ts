import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient } from './api.client';

describe('ApiClient', () => {
  const servers: Server[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    for (const name of ['a', 'b', 'c']) {
      const server = createServer((_, res) => res.setHeader('x-api', name).end('{}'));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      servers.push(server);
      urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
  });
  afterAll(() => Promise.all(servers.map((s) => new Promise((done) => s.close(done)))));

  it('sends each request to the next API in turn', async () => {
    const client = new ApiClient(urls, 1000);
    await expect(client.waitUntilUp(1000)).resolves.toBe(true);
    const served: (string | null)[] = [];
    for (let i = 0; i < 5; i++)
      served.push((await client.request('GET', '/x')).headers.get('x-api'));
    expect(served).toEqual(['a', 'b', 'c', 'a', 'b']);
  });

  it('stops waiting for an API that is not up as soon as it is told to stop', async () => {
    const client = new ApiClient('http://127.0.0.1:1', 1000);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    // Within the test's own timeout, long before the 60 s deadline.
    await expect(client.waitUntilUp(60_000, stop.signal)).resolves.toBe(false);
  });

  it('starts where it is told, so that users start on different APIs', async () => {
    const client = new ApiClient(urls, 1000, 2);
    const first = await client.request('GET', '/x');
    const second = await client.request('GET', '/x');
    expect([first.headers.get('x-api'), second.headers.get('x-api')]).toEqual(['c', 'a']);
  });

  it('keeps to its one API when given one', async () => {
    const client = new ApiClient(urls[1]!, 1000);
    const first = await client.request('GET', '/x');
    const second = await client.request('GET', '/x');
    expect([first.headers.get('x-api'), second.headers.get('x-api')]).toEqual(['b', 'b']);
  });
});
