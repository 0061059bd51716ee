import type { PoolClient } from 'pg';
import { drizzleAdapter } from './drizzle.adapter';

describe('drizzleAdapter, a transaction inside write()', () => {
  it('refuses an isolation level or access mode (a savepoint cannot set one), sending nothing', async () => {
    const query = jest.fn(() => Promise.resolve({ rows: [], rowCount: 0 }));
    const client = { query } as unknown as PoolClient;
    const db = drizzleAdapter().bind(client, { node: 'primary', transaction: true });
    const work = jest.fn(() => Promise.resolve('ran'));
    await expect(db.transaction(work, { isolationLevel: 'serializable' })).rejects.toThrow(
      /cannot set an isolation level/,
    );
    expect(work).not.toHaveBeenCalled();
    expect(query).not.toHaveBeenCalled();
    // Without one it nests as a savepoint.
    await expect(db.transaction(work)).resolves.toBe('ran');
    expect(JSON.stringify(query.mock.calls)).toMatch(/savepoint replica_routing_1/);
  });
});
