import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type Redis from 'ioredis';
import { logRedis } from './redis.client';

/** A Redis that answers the handshake and PING, and nothing while `silent`: a half-open peer. */
function fakeRedis(): {
  server: Server;
  silence(): void;
  speak(): void;
  drop(): void;
  port: () => number;
} {
  let silent = false;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (data) => {
      if (silent) return;
      // One answer per command (each an array: `*<n>`); INFO's says the data is loaded.
      const info = '# Server\r\nloading:0\r\n';
      for (const [, name] of data.toString().matchAll(/\*\d+\r\n\$\d+\r\n(\w+)/g))
        socket.write(/^info$/i.test(name!) ? `$${info.length}\r\n${info}\r\n` : '+PONG\r\n');
    });
  });
  return {
    server,
    silence: () => (silent = true),
    speak: () => (silent = false),
    drop: () => sockets.forEach((socket) => socket.destroy()),
    port: () => (server.address() as AddressInfo).port,
  };
}

/** Runs `test` with a fake Redis and a log connection to it (socket timeout 200 ms), ready. */
async function withRedis(
  test: (fake: ReturnType<typeof fakeRedis>, redis: Redis) => Promise<void>,
): Promise<void> {
  const fake = fakeRedis();
  await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
  const redis = logRedis(`redis://127.0.0.1:${fake.port()}`, () => undefined, 200);
  try {
    await new Promise((resolve) => redis.once('ready', resolve));
    await test(fake, redis);
  } finally {
    redis.disconnect();
    await new Promise((resolve) => fake.server.close(resolve));
  }
}

describe('logRedis', () => {
  it('closes and reopens a connection whose server stops answering', async () => {
    await withRedis(async (fake, redis) => {
      await expect(redis.ping()).resolves.toBe('PONG');
      fake.silence();
      const reconnecting = new Promise((resolve) => redis.once('reconnecting', resolve));
      const unanswered = redis.ping();
      await reconnecting;
      // Answering again: the command is sent again on the new connection, and settles.
      fake.speak();
      await expect(unanswered).resolves.toBe('PONG');
    });
  });

  it('keeps a new connection that is idle after a reconnect (no timer left from the old one)', async () => {
    await withRedis(async (fake, redis) => {
      // A command out when the server drops the connection: its socket timer was armed.
      fake.silence();
      const unanswered = redis.ping();
      await new Promise((resolve) => setTimeout(resolve, 50));
      fake.speak();
      const back = new Promise((resolve) => redis.once('ready', resolve));
      fake.drop();
      await back;
      await expect(unanswered).resolves.toBe('PONG');
      let closed = 0;
      redis.on('close', () => closed++);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(closed).toBe(0);
    });
  });
});
