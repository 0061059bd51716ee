import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  timeoutMs: number;
  /** What is awaited, for the timeout's message; a function to describe the last state seen. */
  what: string | (() => string);
  /** Between two checks; default 100 ms. */
  intervalMs?: number;
}

/**
 * Polls `check` every `intervalMs` until it returns true; once `timeoutMs` has
 * passed, rejects with `Timed out after <timeoutMs> ms waiting for <what>`.
 * A `check` that throws ends the wait with its error (a child that exited).
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  { timeoutMs, what, intervalMs = 100 }: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const described = typeof what === 'string' ? what : what();
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${described}`);
    }
    await sleep(intervalMs);
  }
}

/** A port of `host` that nothing listens on now (the kernel's pick). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** True once something accepts TCP connections on `host:port`. */
export function listening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

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
