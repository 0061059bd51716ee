import express from 'express';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { installLoadShedding } from './load-shedding';

describe('installLoadShedding', () => {
  let server: Server;
  afterEach(() => {
    server.closeAllConnections();
    return new Promise((done) => server.close(done));
  });

  it('runs a queued request in its own async context, not in the one of the request that freed its place', async () => {
    const context = new AsyncLocalStorage<string>();
    const app = express();
    server = createServer(app);
    installLoadShedding(app, server, { maxInFlight: 1, maxQueued: 10, maxWaitMs: 5_000 });
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
    app.get('/first', (_req, res) => {
      // Its answer (and so its 'finish', which admits the next request) in a context of its own.
      void firstHolds.then(() => context.run('first', () => res.end('first')));
    });
    app.get('/second', (_req, res) => {
      res.end(context.getStore() ?? 'none');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const first = fetch(`${url}/first`).then((r) => r.text());
    await new Promise((resolve) => setTimeout(resolve, 100)); // the first holds the only place
    const second = fetch(`${url}/second`).then((r) => r.text());
    await new Promise((resolve) => setTimeout(resolve, 100)); // the second waits in the queue
    releaseFirst();
    expect(await first).toBe('first');
    expect(await second).toBe('none');
  });

  it('holds the place of a request whose client went away until its handler ends', async () => {
    const app = express();
    server = createServer(app);
    installLoadShedding(app, server, { maxInFlight: 1, maxQueued: 10, maxWaitMs: 5_000 });
    const events: string[] = [];
    let finishFirst!: () => void;
    const firstWorks = new Promise<void>((resolve) => (finishFirst = resolve));
    app.get('/first', (_req, res) => {
      events.push('first starts');
      void firstWorks.then(() => {
        events.push('first ends');
        res.end('first');
      });
    });
    app.get('/second', (_req, res) => {
      events.push('second starts');
      res.end('second');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const giveUp = new AbortController();
    const first = fetch(`${url}/first`, { signal: giveUp.signal }).catch(() => 'gave up');
    await new Promise((resolve) => setTimeout(resolve, 100));
    giveUp.abort(); // the client goes; its handler works on
    expect(await first).toBe('gave up');
    const second = fetch(`${url}/second`).then((r) => r.text());
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events).toEqual(['first starts']); // the second waits for the place
    finishFirst();
    expect(await second).toBe('second');
    expect(events).toEqual(['first starts', 'first ends', 'second starts']);
  });

  it('gives back at once the place of a documentation file whose download the client abandoned', async () => {
    const app = express();
    server = createServer(app);
    installLoadShedding(app, server, { maxInFlight: 1, maxQueued: 10, maxWaitMs: 1_000 });
    // As express.static sends a file: piped, the pipe destroyed when the client goes, no res.end().
    app.get('/docs/bundle.js', (_req, res) => {
      const file = Readable.from(
        (function* () {
          for (;;) yield Buffer.alloc(64 * 1024, 'x');
        })(),
      );
      res.once('close', () => file.destroy());
      file.pipe(res);
    });
    app.get('/rides', (_req, res) => res.end('rides'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const giveUp = new AbortController();
    const download = await fetch(`${url}/docs/bundle.js`, { signal: giveUp.signal });
    await download.body!.getReader().read(); // the first bytes, then the client goes
    giveUp.abort();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const rides = await fetch(`${url}/rides`);
    expect({ status: rides.status, body: await rides.text() }).toEqual({
      status: 200,
      body: 'rides',
    });
  });
});
