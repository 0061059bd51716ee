import { NoTransactionError } from './exceptions/no-transaction.exception';
import { setRoutingLogger } from './logger';
import { routingMetrics } from './metrics/routing.metrics';
import { NodeExecutor } from './node-executor.service';
import { pgAdapter, type PgHandle } from './pg/pg.adapter';
import { createRoutingParts } from './replica-routing';

/** `replica_routing_writes_total` by outcome, as counted so far in this process. */
async function writesCounted(): Promise<Record<string, number>> {
  const { values } = await routingMetrics.writes.get();
  return Object.fromEntries(values.map((v) => [String(v.labels.outcome), v.value]));
}

/** A primary that commits every write, then drops before its token can be read. */
class CommitsThenDrops extends NodeExecutor<PgHandle> {
  override async writeOnPrimary<T>(work: (handle: PgHandle) => Promise<T>) {
    return { result: await work({} as PgHandle), token: null };
  }

  override primaryPosition(): Promise<never> {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    return Promise.reject(refused);
  }
}

describe('WriteFlow, a write whose token cannot be read after COMMIT', () => {
  beforeAll(() => {
    const quiet = () => undefined;
    setRoutingLogger(() => ({ log: quiet, warn: quiet, error: quiet }));
  });

  it('fails as commit-unknown and runs afterRollback, never afterCommit', async () => {
    const routing = createRoutingParts(
      { primary: { url: 'postgres://127.0.0.1:1/x' } },
      pgAdapter(),
      {
        Executor: CommitsThenDrops as typeof NodeExecutor,
      },
    );
    const afterCommit = jest.fn();
    const afterRollback = jest.fn();
    const before = await writesCounted();
    await expect(
      routing.router.write(() => {
        routing.router.afterCommit(afterCommit);
        routing.router.afterRollback(afterRollback);
        return Promise.resolve('done');
      }),
    ).rejects.toThrow(/committed but the primary went away/);
    expect(afterRollback).toHaveBeenCalledTimes(1);
    expect(afterCommit).not.toHaveBeenCalled();
    // Counted as what it is: neither committed for sure nor rolled back.
    const after = await writesCounted();
    expect((after.commit_unknown ?? 0) - (before.commit_unknown ?? 0)).toBe(1);
    expect(after.committed ?? 0).toBe(before.committed ?? 0);
    await routing.close();
  });
});

/** A primary that commits every write (the work's handle is `writeHandle`), and serves reads on `readHandle`. */
const writeHandle = { name: 'the write transaction' } as unknown as PgHandle;
const readHandle = { name: 'a read connection' } as unknown as PgHandle;
class Commits extends NodeExecutor<PgHandle> {
  override async writeOnPrimary<T>(work: (handle: PgHandle) => Promise<T>) {
    const result = await work(writeHandle);
    // COMMIT and the token take a while: work left behind may run meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { result, token: { tli: 1, lsn: 10n } };
  }

  override async readOnPrimary<T>(work: (handle: PgHandle, node: string) => Promise<T>) {
    return { result: await work(readHandle, 'primary'), token: null };
  }
}

describe('WriteFlow, work a write leaves behind (a timer, a promise not awaited)', () => {
  it('does not join the transaction once the work is over, even before COMMIT is answered', async () => {
    const routing = createRoutingParts(
      { primary: { url: 'postgres://127.0.0.1:1/x' } },
      pgAdapter(),
      {
        Executor: Commits as typeof NodeExecutor,
      },
    );
    const { router } = routing;
    let later!: Promise<{ handle: PgHandle; callback: unknown }>;
    await router.write(() => {
      later = new Promise((resolve) => setTimeout(resolve, 10)).then(async () => {
        const { result: handle } = await router.read((db) => Promise.resolve(db));
        let callback: unknown;
        try {
          router.afterCommit(() => undefined);
        } catch (error) {
          callback = error;
        }
        return { handle, callback };
      });
      return Promise.resolve();
    });
    const { handle, callback } = await later;
    expect(handle).toBe(readHandle);
    expect(callback).toBeInstanceOf(NoTransactionError);
    await routing.close();
  });

  it('takes a work that returns a plain value (JavaScript callers)', async () => {
    const routing = createRoutingParts(
      { primary: { url: 'postgres://127.0.0.1:1/x' } },
      pgAdapter(),
      {
        Executor: Commits as typeof NodeExecutor,
      },
    );
    const plain = (() => 5) as unknown as () => Promise<number>;
    await expect(routing.router.write(plain)).resolves.toMatchObject({ result: 5 });
    await routing.close();
  });
});

/** A primary with synchronous standbys: every write's token is their flush position, 0/100. */
class FlushedToken extends NodeExecutor<PgHandle> {
  override async writeOnPrimary<T>(work: (handle: PgHandle) => Promise<T>) {
    return { result: await work({} as PgHandle), token: { lsn: 0x100n, tli: 1 }, flushed: true };
  }
}

describe('WriteFlow, a token that is the synchronous standbys’ flush position', () => {
  it('raises what is known of the primary, but is no sample of it in time', async () => {
    const routing = createRoutingParts(
      { primary: { url: 'postgres://127.0.0.1:1/x' } },
      pgAdapter(),
      {
        Executor: FlushedToken as typeof NodeExecutor,
      },
    );
    const before = Date.now() - 1;
    const written = await routing.router.write(() => Promise.resolve('done'));
    expect(written.token).toBe(0x100n);
    expect(routing.state.primaryLsn).toBe(0x100n);
    // Commits that did not wait for the standbys may lie past it: a freshness bound cannot use it.
    expect(routing.state.primaryPositionSince(before)).toBeNull();
    await routing.close();
  });
});

/** A primary that refuses every write's statement, as a unique violation does. */
class RefusesStatement extends NodeExecutor<PgHandle> {
  override writeOnPrimary(): Promise<never> {
    const duplicate = Object.assign(new Error('duplicate key value violates unique constraint'), {
      code: '23505',
    });
    return Promise.reject(duplicate);
  }
}

describe('WriteFlow, a write whose statement the primary refused', () => {
  it('names the primary as the node that served the scope (Served-By on errors too)', async () => {
    const routing = createRoutingParts(
      { primary: { url: 'postgres://127.0.0.1:1/x' } },
      pgAdapter(),
      { Executor: RefusesStatement as typeof NodeExecutor },
    );
    const served = await routing.router.scope({}, async () => {
      await routing.router.write(() => Promise.resolve()).catch(() => undefined);
      return routing.router.currentScope()?.servedBy;
    });
    expect(served.result).toEqual(['primary']);
    await routing.close();
  });
});
