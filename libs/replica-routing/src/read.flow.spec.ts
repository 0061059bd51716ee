import { setRoutingLogger } from './logger';
import { NodeExecutor } from './node-executor.service';
import { pgAdapter, type PgHandle } from './pg/pg.adapter';
import { createRoutingParts } from './replica-routing';

const served: string[] = [];

/** Replicas that refuse serializable mode, as every hot standby does; a primary that serves. */
class StandbysRefuseSerializable extends NodeExecutor<PgHandle> {
  override readOnReplica(name: string): Promise<never> {
    served.push(name);
    const refused = Object.assign(new Error('cannot use serializable mode in a hot standby'), {
      code: '0A000',
    });
    return Promise.reject(refused);
  }

  override async readOnPrimary<T>(work: (handle: PgHandle, node: string) => Promise<T>) {
    served.push('primary');
    return { result: await work({} as PgHandle, 'primary'), token: null };
  }
}

describe('ReadFlow, a work no standby can run', () => {
  beforeAll(() => {
    const quiet = () => undefined;
    setRoutingLogger(() => ({ log: quiet, warn: quiet, error: quiet }));
  });

  it('goes to the primary after the first replica refuses serializable mode, not through every replica', async () => {
    const url = 'postgres://127.0.0.1:1/x';
    const routing = createRoutingParts(
      {
        primary: { url },
        replicas: ['r1', 'r2', 'r3'].map((name) => ({ name, url })),
        maxReplicaAttempts: 3,
        primaryReadShare: 0,
      },
      pgAdapter(),
      { Executor: StandbysRefuseSerializable as typeof NodeExecutor },
    );
    // Every replica known to have the token, the primary's position fresh: replicas first.
    routing.state.observePrimary(100n);
    for (const name of ['r1', 'r2', 'r3']) routing.state.observeReplay(name, 100n);
    const read = await routing.router.read(() => Promise.resolve('read'), {
      token: '0/50',
    });
    expect(read.servedBy).toBe('primary');
    expect(served).toHaveLength(2);
    expect(served[0]).toMatch(/^r[123]$/);
    expect(served[1]).toBe('primary');
    await routing.close();
  });
});

/** A primary whose covered reads take 100 ms. */
class SlowPrimary extends NodeExecutor<PgHandle> {
  override async readOnPrimary<T>(work: (handle: PgHandle, node: string) => Promise<T>) {
    const result = await work({} as PgHandle, 'primary');
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { result, token: { tli: null, lsn: 500n } };
  }
}

describe('ReadFlow, the primary position a read brings back', () => {
  it('is a sample stamped when it was asked, not when the answer came', async () => {
    const routing = createRoutingParts(
      { primary: { url: 'postgres://127.0.0.1:1/x' } },
      pgAdapter(),
      { Executor: SlowPrimary as typeof NodeExecutor },
    );
    const before = Date.now();
    await routing.router.read(() => Promise.resolve('read'), { primary: true });
    // Commits that finished during those 100 ms may be past 500: the sample must not claim them.
    expect(routing.state.get('primary').observedAt).toBeLessThanOrEqual(before + 20);
    expect(routing.state.primaryPositionSince(before + 50)).toBeNull();
    await routing.close();
  });
});

/** A healthy primary whose statement timed out (57014). */
class PrimaryTimesOut extends NodeExecutor<PgHandle> {
  override readOnPrimary(): Promise<never> {
    const timedOut = Object.assign(new Error('canceling statement due to statement timeout'), {
      code: '57014',
    });
    return Promise.reject(timedOut);
  }
}

describe("ReadFlow, the primary's own answer to a statement", () => {
  it('reaches the caller as it is, not as an outage (NoNodeAvailableError)', async () => {
    const routing = createRoutingParts(
      { primary: { url: 'postgres://127.0.0.1:1/x' } },
      pgAdapter(),
      { Executor: PrimaryTimesOut as typeof NodeExecutor },
    );
    await expect(
      routing.router.read(() => Promise.resolve('read'), { primary: true }),
    ).rejects.toMatchObject({ code: '57014' });
    await routing.close();
  });
});
