import { NodeExecutor } from './node-executor.service';
import type { NodeRegistry } from './node-registry.service';
import { resolveOptions } from './replica-routing.options';

describe('NodeExecutor', () => {
  const options = resolveOptions({ primary: { url: 'postgres://p' } });

  /**
   * A registry whose pool lends one connection whose release can be watched: a
   * proven primary's, whose session reports `status` (node-postgres' last ReadyForQuery).
   */
  function connectionWith(status = { now: 'I' }) {
    const released: unknown[] = [];
    const connection = {
      query: jest.fn(() => Promise.resolve({ rows: [{ standby: false }] })),
      readyForQuery: true,
      getTransactionStatus: () => status.now,
      on: () => undefined,
      release: jest.fn((err?: unknown) => {
        released.push(err);
      }),
    };
    return { connection, released };
  }

  const adapter = { bind: () => ({}) };

  function executorOn(
    lent: { connection: unknown }[],
    bind: ConstructorParameters<typeof NodeExecutor>[2] = adapter,
  ) {
    const registry = {
      admit: () => () => undefined,
      ready: () => undefined,
      get: () => Promise.resolve({ connect: () => Promise.resolve(lent.shift()!.connection) }),
      queryCount: () => ({ total: 0, routed: 0, roundTrips: 0 }),
    } as unknown as NodeRegistry;
    return new NodeExecutor(options, registry, bind);
  }

  function executorWith(status = { now: 'I' }) {
    const lent = connectionWith(status);
    return { executor: executorOn([lent]), released: lent.released };
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
    // The first connection lent is inside a transaction.
    const dirty = connectionWith({ now: 'T' });
    const clean = connectionWith({ now: 'I' });
    const read = executorOn([dirty, clean]).readOnPrimary(() => Promise.resolve('r'), false);
    await expect(read).resolves.toMatchObject({ result: 'r' });
    expect(dirty.released).toEqual([new Error('connection not reused: in transaction')]);
    expect(clean.released).toEqual([undefined]);
  });

  it('gives a work a handle that stops working once the work is over', async () => {
    const lent = connectionWith();
    let kept: { query(text: string): unknown } | undefined;
    const executor = executorOn([lent], { bind: (client) => client });
    await executor.readOnPrimary((client) => {
      kept = client as { query(text: string): unknown };
      return Promise.resolve();
    }, false);
    expect(() => kept!.query('SELECT 1')).toThrow(TypeError);
    expect(lent.released).toEqual([undefined]);
  });
});
