import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';

/** How often a draining server closes the kept-alive connections that fell idle. */
const SWEEP_MS = 100;
/**
 * How long the drain waits for requests under way (a body uploaded slowly
 * can take minutes): then their connections are closed and the close goes
 * on, well within SHUTDOWN_TIMEOUT_MS (25 s), so that the shutdown hooks run.
 */
export const DRAIN_MAX_MS = 10_000;

/**
 * Makes `app.close()` drain HTTP first: the server stops taking connections,
 * every answer from then on says `Connection: close`, and kept-alive
 * connections are closed as soon as they fall idle; the close goes on (the
 * shutdown hooks, which stop the routing, then the pools) once every
 * connection has ended. Without it a client that keeps its connection busy
 * is served for as long as it sends, and the close never ends before
 * SHUTDOWN_TIMEOUT_MS, while the routing is already stopped. Every caller
 * of `close()` waits for the one drain.
 */
export function installHttpDrain(app: NestExpressApplication): void {
  let draining: Promise<void> | undefined;
  const server: Server = app.getHttpServer();
  // Ahead of Express and every middleware (some answer before any route: a bad token's 400).
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (draining !== undefined) res.setHeader('Connection', 'close');
  });
  // Nest's own close, from the class: `app` is Nest's proxy, whose methods look themselves up
  // again on every call (a bound `app.close` would call this one), and which drops assignments
  // (its set trap sets nothing): the new close is defined on the application itself.
  const own = (Object.getPrototypeOf(app) as Pick<NestExpressApplication, 'close'>).close;
  Object.defineProperty(app, 'close', {
    configurable: true,
    value: async (...args: Parameters<NestExpressApplication['close']>) => {
      await (draining ??= drained(server));
      return own.apply(app, args);
    },
  });
}

function drained(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    // A request under way when the close began is answered without Connection: close.
    const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_MS);
    const cutOff = setTimeout(() => server.closeAllConnections(), DRAIN_MAX_MS);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(cutOff);
      resolve();
    });
  });
}
