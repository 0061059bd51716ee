import { createServer, type Server } from 'node:net';
import { assertPortFree, findFreeBlock } from './ports';

const listen = (port: number) =>
  new Promise<Server>((resolve) => {
    const server = createServer();
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

describe('ports', () => {
  const first = 29733; // below the ephemeral range, like every project port
  let taken: Server;

  beforeAll(async () => {
    taken = await listen(first + 2);
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

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
});
