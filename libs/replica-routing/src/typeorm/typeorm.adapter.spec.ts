import type { PoolClient } from 'pg';
import { typeormAdapter } from './typeorm.adapter';

/** A DataSource that opens nothing: each has a pool of its own and counts its destroy(). */
jest.mock('typeorm', () => ({
  DataSource: class {
    readonly driver = { master: { id: Symbol('pool') }, disconnect: () => Promise.resolve() };
    destroyed = 0;
    initialize = () => Promise.resolve(this);
    destroy = () => {
      this.destroyed++;
      return Promise.resolve();
    };
    createQueryRunner = () => ({ manager: { source: this } });
  },
}));

describe('typeormAdapter', () => {
  const client = {} as PoolClient;
  const bound = (adapter: ReturnType<typeof typeormAdapter>) =>
    (
      adapter.bind(client, { node: 'primary', transaction: false }) as unknown as {
        source: { destroyed: number };
      }
    ).source;

  it('refuses a default isolation level it could not apply to the library’s transactions', () => {
    expect(() => typeormAdapter({ dataSource: { isolationLevel: 'SERIALIZABLE' } })).toThrow(
      /isolationLevel is not supported/,
    );
  });

  it('closes the pool it is given, and binds on the pool the node keeps', async () => {
    const adapter = typeormAdapter();
    // A failover: the pool of the new host (kept) opens while a late one of the old host is still
    // opening; that one, opened last, is closed.
    const kept = await adapter.openPool!('primary', {});
    const late = await adapter.openPool!('primary', {});
    const ofLate = bound(adapter);
    await adapter.closePool!('primary', late);
    expect(ofLate.destroyed).toBe(1);
    const ofKept = bound(adapter);
    expect(ofKept).not.toBe(ofLate);
    expect(ofKept.destroyed).toBe(0);
    await adapter.closePool!('primary', kept);
    expect(ofKept.destroyed).toBe(1);
    expect(() => bound(adapter)).toThrow(/no DataSource for primary/);
  });
});
