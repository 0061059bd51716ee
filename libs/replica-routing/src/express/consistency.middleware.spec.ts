import type { IncomingMessage, ServerResponse } from 'node:http';
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

  it('calls next once, and lets what the rest of the chain threw go up', () => {
    const thrown = new Error('a handler of a raw node:http chain');
    const next = jest.fn(() => {
      throw thrown;
    });
    expect(() => consistency(routing)(req(), res, next)).toThrow(thrown);
    expect(next).toHaveBeenCalledTimes(1);
  });
});
