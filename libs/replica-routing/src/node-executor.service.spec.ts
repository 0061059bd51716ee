import type { DataSource } from 'typeorm';
import { NodeExecutor } from './node-executor.service';
import type { NodeRegistry } from './node-registry.service';
import { resolveOptions } from './replica-routing.options';

describe('NodeExecutor', () => {
  const options = resolveOptions({ primary: { url: 'postgres://p' } });

  /** A registry whose one runner's connection can be watched. */
  function executorWith() {
    const destroy = jest.fn();
    const runner = {
      data: {},
      manager: {},
      databaseConnection: { query: jest.fn(), connection: { stream: { destroy } } },
      connect: () => Promise.resolve(),
      release: jest.fn(() => Promise.resolve()),
    };
    const registry = {
      admit: () => () => undefined,
      get: () => Promise.resolve({ createQueryRunner: () => runner } as unknown as DataSource),
      queryCount: () => ({ total: 0, routed: 0, roundTrips: 0 }),
    } as unknown as NodeRegistry;
    return { executor: new NodeExecutor(options, registry), destroy, runner };
  }

  it('does not lend again a connection that timed out or was lost under the work', async () => {
    const { executor, destroy, runner } = executorWith();
    await expect(
      executor.readOnPrimary(() => Promise.reject(new Error('Query read timeout')), false),
    ).rejects.toThrow('Query read timeout');
    expect(destroy).toHaveBeenCalledTimes(1);
    expect(runner.release).toHaveBeenCalled();
  });

  it('keeps a connection whose query failed on its own (a bad query, a constraint)', async () => {
    const { executor, destroy } = executorWith();
    const bad = Object.assign(new Error('syntax error'), { code: '42601' });
    await expect(executor.readOnPrimary(() => Promise.reject(bad), false)).rejects.toBe(bad);
    expect(destroy).not.toHaveBeenCalled();
  });
});
