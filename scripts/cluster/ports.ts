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
