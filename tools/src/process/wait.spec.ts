import { createServer, type Server } from 'node:net';
import { assertPortFree, findFreeBlock, freePort, listening, waitUntil } from './wait';

const listen = (port: number) =>
  new Promise<Server>((resolve) => {
    const server = createServer();
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('waitUntil', () => {
  it('resolves once the check holds', async () => {
    let calls = 0;
    await waitUntil(() => ++calls === 3, { timeoutMs: 1000, what: 'three calls', intervalMs: 1 });
    expect(calls).toBe(3);
  });

  it('times out naming what it waited for', async () => {
    await expect(
      waitUntil(() => false, { timeoutMs: 50, what: 'the moon', intervalMs: 10 }),
    ).rejects.toThrow('Timed out after 50 ms waiting for the moon');
  });

  it('describes the last state seen when `what` is a function', async () => {
    let seen = 0;
    await expect(
      waitUntil(() => ++seen < 0, {
        timeoutMs: 30,
        what: () => `a negative count (last seen: ${seen})`,
        intervalMs: 5,
      }),
    ).rejects.toThrow(/^Timed out after 30 ms waiting for a negative count \(last seen: \d+\)$/);
  });

  it('ends with the error of a check that throws', async () => {
    await expect(
      waitUntil(
        () => {
          throw new Error('it exited');
        },
        { timeoutMs: 1000, what: 'never' },
      ),
    ).rejects.toThrow('it exited');
  });
});

describe('ports', () => {
  const first = 29733; // below the ephemeral range, like every project port
  let taken: Server;

  beforeAll(async () => {
    taken = await listen(first + 2);
  });
  afterAll(() => close(taken));

  it('names a taken port', async () => {
    await expect(assertPortFree(first + 2, 'replica1')).rejects.toThrow(
      `Port ${first + 2} (replica1) is already in use`,
    );
  });

  it('skips a block with a taken port and returns the next free one', async () => {
    await expect(findFreeBlock(first, 2)).resolves.toBe(first);
    await expect(findFreeBlock(first, 7)).resolves.toBe(first + 100);
  });

  it('gives up after its tries, naming the range', async () => {
    await expect(findFreeBlock(first, 7, { tries: 1 })).rejects.toThrow(
      `No 7 free consecutive ports in 1 blocks from ${first}`,
    );
  });

  it('finds a free port, and tells when something listens on it', async () => {
    const port = await freePort();
    await expect(listening(port)).resolves.toBe(false);
    const server = await listen(port);
    await expect(listening(port)).resolves.toBe(true);
    await expect(assertPortFree(port, 'api')).rejects.toThrow(`Port ${port} (api)`);
    await close(server);
  });
});
