import type { EntityManager } from 'typeorm';
import type { ReplicaRouter } from '@app/replica-routing';
import { ApiConfig } from '../config/api.config';
import { IdempotencyKeysReaper } from './idempotency-keys.reaper';

/** A router whose writes wait until the test lets them end. */
function slowRouter() {
  const ends: (() => void)[] = [];
  const write = jest.fn(
    () => new Promise((resolve) => ends.push(() => resolve({ result: [[], 3] }))),
  );
  const router = { write } as unknown as ReplicaRouter<EntityManager>;
  return { router, write, endAll: () => ends.splice(0).forEach((end) => end()) };
}

describe('IdempotencyKeysReaper', () => {
  const config = Object.assign(new ApiConfig(), { IDEMPOTENCY_REAP_MS: 1000 });

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sweeps every IDEMPOTENCY_REAP_MS, one sweep at a time', async () => {
    const { router, write, endAll } = slowRouter();
    const reaper = new IdempotencyKeysReaper(router, config);
    reaper.onApplicationBootstrap();
    jest.advanceTimersByTime(999);
    expect(write).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(write).toHaveBeenCalledTimes(1);
    // The next tick finds the first sweep still under way and joins it.
    jest.advanceTimersByTime(1000);
    const joined = reaper.reap();
    expect(write).toHaveBeenCalledTimes(1);
    endAll();
    await expect(joined).resolves.toBe(3);
    await reaper.onModuleDestroy();
  });

  it('stops sweeping at shutdown, and waits for the sweep under way', async () => {
    const { router, write, endAll } = slowRouter();
    const reaper = new IdempotencyKeysReaper(router, config);
    reaper.onApplicationBootstrap();
    jest.advanceTimersByTime(1000);
    let destroyed = false;
    const destroy = reaper.onModuleDestroy().then(() => (destroyed = true));
    await Promise.resolve();
    expect(destroyed).toBe(false);
    endAll();
    await destroy;
    expect(destroyed).toBe(true);
    jest.advanceTimersByTime(10_000);
    await expect(reaper.reap()).resolves.toBe(0);
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('says why a sweep failed and counts it as none deleted', async () => {
    const router = {
      write: jest.fn(() => Promise.reject(new Error('the primary is down'))),
    } as unknown as ReplicaRouter<EntityManager>;
    const reaper = new IdempotencyKeysReaper(router, config);
    const warn = jest
      .spyOn((reaper as unknown as { logger: { warn: (m: string) => void } }).logger, 'warn')
      .mockImplementation(() => undefined);
    await expect(reaper.reap()).resolves.toBe(0);
    expect(warn).toHaveBeenCalledWith(
      'could not delete expired idempotency keys: the primary is down',
    );
  });
});
