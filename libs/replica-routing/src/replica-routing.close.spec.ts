import { RoutingClosedError } from './exceptions/routing-closed.exception';
import { pgAdapter, type PgHandle } from './pg/pg.adapter';
import { createReplicaRouting } from './replica-routing';

// Nothing listens on port 1: a call that tried to connect would fail otherwise.
const url = 'postgres://127.0.0.1:1/x';

describe('a routing core after close()', () => {
  it('fails reads, token reads and writes with RoutingClosedError, running nothing', async () => {
    const routing = createReplicaRouting(
      { primary: { url }, replicas: [{ name: 'r0', url }] },
      pgAdapter(),
    );
    await routing.close();
    const work = jest.fn((db: PgHandle) => db.query('SELECT 1'));
    await expect(routing.router.read(work)).rejects.toThrow(RoutingClosedError);
    await expect(routing.router.read(work, { token: '0/10' })).rejects.toThrow(RoutingClosedError);
    await expect(routing.router.write(work)).rejects.toThrow(RoutingClosedError);
    expect(work).not.toHaveBeenCalled();
  });
});

describe('a routing core closed while it starts', () => {
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['fixed nodes', { primary: { url }, replicas: [{ name: 'r0', url }] }],
    ['hosts', { hosts: ['pg0', 'pg1'].map((name) => ({ name, url })) }],
  ])('with %s: leaves no timer behind', async (_, options) => {
    const armed = new Set<unknown>();
    const setter = setInterval;
    const clearer = clearInterval;
    jest.spyOn(global, 'setInterval').mockImplementation((...args: Parameters<typeof setter>) => {
      const timer = setter(...args);
      armed.add(timer);
      return timer;
    });
    jest.spyOn(global, 'clearInterval').mockImplementation(((timer?: NodeJS.Timeout) => {
      armed.delete(timer);
      clearer(timer);
    }) as typeof clearInterval);
    const routing = createReplicaRouting(options, pgAdapter());
    // Not awaited, as an app that shuts down during its start-up does not.
    const starting = routing.start();
    await routing.close();
    await starting.catch(() => undefined);
    expect(armed.size).toBe(0);
    for (const timer of armed) clearer(timer as NodeJS.Timeout);
  });
});
