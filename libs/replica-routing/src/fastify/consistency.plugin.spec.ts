import { EventEmitter } from 'node:events';
import Fastify from 'fastify';
import { pgAdapter } from '../pg/pg.adapter';
import { createReplicaRouting } from '../replica-routing';
import { consistencyPlugin } from './consistency.plugin';

describe('consistencyPlugin (Fastify), no database', () => {
  const routing = createReplicaRouting(
    { primary: { url: 'postgres://127.0.0.1:1/x' } },
    pgAdapter(),
  );
  // Something the process shares across requests (a pool, a cache): its callbacks run outside them.
  const shared = new EventEmitter();
  const ticker = setInterval(() => shared.emit('tick'), 2);

  afterAll(async () => {
    clearInterval(ticker);
    await routing.close();
  });

  it('runs the handler in the request scope even after a hook that calls done from a shared callback', async () => {
    const app = Fastify();
    await app.register(consistencyPlugin(routing));
    app.addHook('preHandler', (_request, _reply, done) => {
      shared.once('tick', () => done());
    });
    app.get('/scoped', () => Promise.resolve({ scoped: routing.context.current() !== undefined }));
    try {
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const res = await fetch(`${url}/scoped`);
      expect(await res.json()).toEqual({ scoped: true });
    } finally {
      await app.close();
    }
  });
});
