import { RoutingClosedError } from './exceptions/routing-closed.exception';
import { pgAdapter, type PgHandle } from './pg/pg.adapter';
import { createReplicaRouting } from './replica-routing';

describe('a routing core after close()', () => {
  // Nothing listens on port 1: a call that tried to connect would fail otherwise.
  const url = 'postgres://127.0.0.1:1/x';

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
