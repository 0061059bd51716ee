import type { DataSource } from 'typeorm';
import { NodeExecutor } from './node-executor.service';
import type { NodeRegistry } from './node-registry.service';
import { resolveOptions } from './replica-routing.options';

describe('NodeExecutor', () => {
  const options = resolveOptions({ primary: { url: 'postgres://p' } });

  /**
   * A registry whose one runner's release can be watched; its connection is a
   * proven primary's, whose session reports `status` (node-postgres' last ReadyForQuery).
   */
  function executorWith(status = { now: 'I' }) {
    const released: unknown[] = [];
    const connection = {
      query: jest.fn(() => Promise.resolve({ rows: [{ standby: false }] })),
      readyForQuery: true,
      getTransactionStatus: () => status.now,
    };
    const runner = {
      data: {},
      manager: {},
      isReleased: false,
      databaseConnection: connection,
      connect: () => Promise.resolve(),
      query: () => Promise.resolve([{ standby: false }]),
      releasePostgresConnection: jest.fn((err?: unknown) => {
        if (!runner.isReleased) released.push(err);
        runner.isReleased = true;
        return Promise.resolve();
      }),
      release: () => runner.releasePostgresConnection(),
    };
    const registry = {
      admit: () => () => undefined,
      get: () => Promise.resolve({ createQueryRunner: () => runner } as unknown as DataSource),
      queryCount: () => ({ total: 0, routed: 0, roundTrips: 0 }),
    } as unknown as NodeRegistry;
    return { executor: new NodeExecutor(options, registry), released, runner };
  }

  it('hands back as broken a connection that timed out or was lost under the work', async () => {
    const { executor, released } = executorWith();
    const timeout = new Error('Query read timeout');
    await expect(executor.readOnPrimary(() => Promise.reject(timeout), false)).rejects.toBe(
      timeout,
    );
    expect(released).toEqual([timeout]);
  });

  it('keeps a connection whose query failed on its own (a bad query, a constraint)', async () => {
    const { executor, released } = executorWith();
    const bad = Object.assign(new Error('syntax error'), { code: '42601' });
    await expect(executor.readOnPrimary(() => Promise.reject(bad), false)).rejects.toBe(bad);
    expect(released).toEqual([undefined]);
  });

  it('closes a connection that a work left inside a transaction, or in a failed one', async () => {
    for (const [state, reason] of [
      ['T', 'in transaction'],
      ['E', 'failed transaction'],
    ]) {
      const status = { now: 'I' };
      const { executor, released } = executorWith(status);
      await executor.readOnPrimary(() => {
        status.now = state!;
        return Promise.resolve('read');
      }, false);
      expect(released).toEqual([new Error(`connection not reused: ${reason}`)]);
    }
  });

  it('takes another connection when the pool lends one that is not idle', async () => {
    // Each checkout lends a new runner; the first one's session is inside a transaction.
    const lent = [executorWith({ now: 'T' }), executorWith({ now: 'I' })];
    const registry = {
      admit: () => () => undefined,
      get: () =>
        Promise.resolve({
          createQueryRunner: () => lent.shift()!.runner,
        } as unknown as DataSource),
      queryCount: () => ({ total: 0, routed: 0, roundTrips: 0 }),
    } as unknown as NodeRegistry;
    const [dirty, clean] = lent;
    const read = new NodeExecutor(options, registry).readOnPrimary(
      () => Promise.resolve('r'),
      false,
    );
    await expect(read).resolves.toMatchObject({ result: 'r' });
    expect(dirty!.released).toEqual([new Error('connection not reused: in transaction')]);
    expect(clean!.released).toEqual([undefined]);
  });
});
