import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pgAdapter } from '../pg/pg.adapter';
import { createReplicaRouting } from '../replica-routing';
import { consistency } from './consistency.middleware';

describe('consistency(routing), the Express middleware', () => {
  const routing = createReplicaRouting(
    { primary: { url: 'postgres://127.0.0.1:1/x' } },
    pgAdapter(),
  );
  const res = { writeHead: () => undefined } as unknown as ServerResponse;
  const req = (token?: string) =>
    ({ headers: token ? { 'consistency-token': token } : {} }) as IncomingMessage;

  afterAll(() => routing.close());

  it('hands a bad token to next(error)', () => {
    const next = jest.fn();
    consistency(routing)(req('not a token'), res, next);
    expect(next).toHaveBeenCalledTimes(1);
    expect(next.mock.calls[0]![0]).toMatchObject({ name: 'InvalidConsistencyTokenError' });
  });

  it('opens a scope of the request’s own, even when handed on from another request’s scope', () => {
    // A queue admits the next request from the callback of the one that finished: in its context.
    const handedOn = jest.fn(() => routing.router.currentScope());
    void routing.router.withConsistency('0/3000148', () => {
      consistency(routing)(req(), res, handedOn);
      return Promise.resolve();
    });
    expect(handedOn).toHaveReturnedWith({ token: null, position: null, servedBy: [] });
  });

  it('keeps the request’s scope for a body parser after it, whose next() the body’s end event calls', async () => {
    const middleware = consistency(routing);
    const server = createServer((q, a) =>
      middleware(q, a, () => {
        // A body parser mounted after the middleware (express.json()): it reads, then calls next().
        q.resume();
        q.on('end', () =>
          a.end(JSON.stringify({ scoped: routing.router.currentScope() !== undefined })),
        );
      }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const sent = request({ host: '127.0.0.1', port, method: 'POST', path: '/' });
      // The head first and the body later, as a client does after `Expect: 100-continue`.
      sent.flushHeaders();
      await new Promise((resolve) => setTimeout(resolve, 50));
      sent.end('{"distance": 1}');
      const [answer] = (await once(sent, 'response')) as [IncomingMessage];
      let body = '';
      for await (const chunk of answer) body += String(chunk);
      expect(JSON.parse(body)).toEqual({ scoped: true });
    } finally {
      server.close();
    }
  });

  it('mounted twice (an app’s and a router’s), answers with the position the handler reached, not the token sent', async () => {
    const signing = createReplicaRouting(
      { primary: { url: 'postgres://127.0.0.1:1/x' }, tokenSecret: 'a secret of 16+ characters' },
      pgAdapter(),
    );
    try {
      const sent = signing.tokens.format({ tli: 1, lsn: 0x1000n });
      const headers: Record<string, unknown> = {};
      const answer = {
        headersSent: false,
        writeHead: () => undefined,
        setHeader: (name: string, value: unknown) => (headers[name] = value),
      } as unknown as ServerResponse;
      const request = req(sent);
      const middleware = consistency(signing);
      middleware(request, answer, () =>
        middleware(request, answer, () => {
          // What a write in the handler does to the request's scope.
          signing.context.current()!.raise({ tli: 1, lsn: 0x5000000n });
          answer.writeHead(201);
        }),
      );
      expect(headers['Consistency-Token']).toBe(signing.tokens.format({ tli: 1, lsn: 0x5000000n }));
    } finally {
      await signing.close();
    }
  });

  it('calls next once, and lets what the rest of the chain threw go up', () => {
    const thrown = new Error('a handler of a raw node:http chain');
    const next = jest.fn(() => {
      throw thrown;
    });
    expect(() => consistency(routing)(req(), res, next)).toThrow(thrown);
    expect(next).toHaveBeenCalledTimes(1);
  });
});
