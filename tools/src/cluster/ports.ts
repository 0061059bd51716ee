import { createServer } from 'node:net';

/** Rejects, naming the port, if something already listens on it. */
export function assertPortFree(port: number, what: string, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `Port ${port} (${what}) is already in use (${error.code}). ` +
            'Stop whatever listens there (a previous cluster? try `npm run cluster:stop`), or choose another POSTGRES_PORT.',
        ),
      ),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/**
 * The first of `count` consecutive free ports, trying `first`, then blocks of
 * `step` above it, `tries` blocks in all. Rejects naming the range it tried.
 */
export async function findFreeBlock(
  first: number,
  count: number,
  { step = 100, tries = 10, host = '127.0.0.1' } = {},
): Promise<number> {
  for (let base = first, n = 0; n < tries; base += step, n++) {
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const free = await Promise.all(
      ports.map((p) =>
        assertPortFree(p, 'probe', host).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (free.every(Boolean)) return base;
  }
  throw new Error(
    `No ${count} free consecutive ports in ${tries} blocks from ${first} (step ${step})`,
  );
}
