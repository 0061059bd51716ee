import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { patroniCluster } from './patroni.client';

describe('patroniCluster', () => {
  let server: Server;
  let base: string;
  const asked: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      asked.push(req.url ?? '');
      if (req.url !== '/patroni/cluster') return res.writeHead(404).end();
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          members: [
            { name: 'pg0', role: 'leader', state: 'running', host: 'h', port: 5432, timeline: 3 },
          ],
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('asks /cluster under the base URL’s path (the API behind a proxy), with or without its last slash', async () => {
    for (const url of [`${base}/patroni`, `${base}/patroni/`, `${base}/patroni//`])
      await expect(patroniCluster(url, 1000)).resolves.toEqual([
        { name: 'pg0', role: 'leader', state: 'running', host: 'h', port: 5432, timeline: 3 },
      ]);
    expect(asked).toEqual(['/patroni/cluster', '/patroni/cluster', '/patroni/cluster']);
  });
});
