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

  it('registered on the root and again in a child, answers with the position the handler reached, not the token sent', async () => {
    const signing = createReplicaRouting(
      { primary: { url: 'postgres://127.0.0.1:1/x' }, tokenSecret: 'a secret of 16+ characters' },
      pgAdapter(),
    );
    const app = Fastify();
    await app.register(consistencyPlugin(signing));
    await app.register(async (child) => {
      await child.register(consistencyPlugin(signing));
      child.post('/rides', () => {
        // What a write in the handler does to the request's scope.
        signing.context.current()!.raise({ tli: 1, lsn: 0x5000000n });
        return Promise.resolve({ written: true });
      });
    });
    try {
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const res = await fetch(`${url}/rides`, {
        method: 'POST',
        headers: { 'consistency-token': signing.tokens.format({ tli: 1, lsn: 0x1000n }) },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('consistency-token')).toBe(
        signing.tokens.format({ tli: 1, lsn: 0x5000000n }),
      );
    } finally {
      await app.close();
      await signing.close();
    }
  });
});
