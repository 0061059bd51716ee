import type { ReplicaRouter } from '@app/replica-routing';
import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import type { EntityManager } from 'typeorm';
import { LogConsumer } from './log.consumer';
import { LogGapError } from './log-gap.error';
import { RIDE_CREATED, toFields } from './log.envelope';
import { turningAfterWallStep } from '../test/wall-clock.fixture';

/** consumer0 on the stream `log`, reading 10 at a time, blocking 10 ms, no failure injected. */
const OPTIONS = { name: 'consumer0', stream: 'log', batch: 10, blockMs: 10, failRate: 0 };

describe('LogConsumer.run', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('retries creating its state row when the primary is down at start, instead of rejecting', async () => {
    const registered = jest
      .fn()
      .mockRejectedValueOnce(new Error('connect ECONNREFUSED'))
      .mockResolvedValue({ result: [] });
    const stop = new AbortController();
    const router = {
      write: registered,
      read: () => Promise.resolve({ result: [{ total: '0', rides: '0', last: '0' }] }),
    } as unknown as ReplicaRouter<EntityManager>;
    // Nothing in the stream: each round finds nothing; the second ends the run.
    let rounds = 0;
    const redis = {
      xread: () => {
        if (++rounds === 2) stop.abort();
        return Promise.resolve(null);
      },
    } as unknown as Redis;
    const consumer = new LogConsumer(router, redis, OPTIONS);
    await expect(consumer.run(stop.signal)).resolves.toBeUndefined();
    expect(registered).toHaveBeenCalledTimes(2);
    expect(rounds).toBe(2);
  });

  it('creates its state row again when it is gone (lost in a failover), instead of retrying for ever', async () => {
    const stop = new AbortController();
    let row = true;
    const registered = jest.fn(() => {
      row = true;
      return Promise.resolve({ result: [] });
    });
    const router = {
      write: registered,
      read: () => Promise.resolve({ result: row ? [{ total: '0', rides: '0', last: '0' }] : [] }),
    } as unknown as ReplicaRouter<EntityManager>;
    let rounds = 0;
    const redis = {
      xread: () => {
        // After its first round its row goes; its fourth ends the run.
        if (++rounds === 1) row = false;
        if (rounds === 4) stop.abort();
        return Promise.resolve(null);
      },
    } as unknown as Redis;
    const consumer = new LogConsumer(router, redis, { ...OPTIONS, blockMs: 1 });
    await consumer.run(stop.signal);
    expect(registered).toHaveBeenCalledTimes(2);
    expect(rounds).toBe(4);
  });

  it('takes a jump past its remembered position for another copy’s progress, not a gap', async () => {
    // Its last round left it at 100; another copy of consumer0 has since committed up to 300, and
    // retention and trimming removed seqs up to 200.
    const router = {
      read: jest.fn(() => Promise.resolve({ result: [{ total: '0', rides: '0', last: '300' }] })),
    } as unknown as ReplicaRouter<EntityManager>;
    const redis = {
      xread: () => Promise.resolve([['log', [['201-0', ['event', '{}']]]]]),
    } as unknown as Redis;
    const consumer = new LogConsumer(router, redis, OPTIONS);
    (consumer as unknown as { position: bigint }).position = 100n;
    const round = consumer.round();
    await expect(round).rejects.toThrow(/another copy of consumer0 moved its position/);
    await expect(round).rejects.not.toBeInstanceOf(LogGapError);
  });

  it('after a read that found nothing, reads from its saved position: a failover may have lost its last commit', async () => {
    // Its last round committed up to 100; the new primary has 90 (asynchronous, the commit lost).
    const router = {
      read: jest.fn(() => Promise.resolve({ result: [{ total: '0', rides: '0', last: '90' }] })),
    } as unknown as ReplicaRouter<EntityManager>;
    const from: string[] = [];
    const redis = {
      xread: (...args: unknown[]) => {
        from.push(String(args.at(-1)));
        return Promise.resolve(null);
      },
    } as unknown as Redis;
    const consumer = new LogConsumer(router, redis, OPTIONS);
    (consumer as unknown as { position: bigint }).position = 100n;
    await consumer.round();
    await consumer.round();
    expect(from).toEqual(['100-0', '90-0']);
  });

  it('counts a stale read-back (a ride the token’s replica lacks) and retries the batch, counting nothing', async () => {
    const stop = new AbortController();
    const entry = toFields({
      eventId: '00000000-0000-4000-8000-000000000001',
      type: RIDE_CREATED,
      version: 1,
      occurredAt: new Date(0).toISOString(),
      token: '1:0/100',
      payload: { ride_id: 7, user_id: 1, distance: '1.5' },
    });
    let reads = 0;
    const router = {
      write: jest.fn(() => Promise.resolve({ result: [] })),
      read: jest.fn((_work: unknown, options: { token?: string; primary?: boolean }) => {
        if (options.primary)
          return Promise.resolve({ result: [{ total: '0', rides: '0', last: '0' }] });
        // The read-back, served by a replica that lacks ride 7: a stale read. The second ends the run.
        if (++reads === 2) stop.abort();
        return Promise.resolve({ result: [], servedBy: 'replica0' });
      }),
    } as unknown as ReplicaRouter<EntityManager>;
    const redis = {
      xread: () => Promise.resolve([['log', [['1-0', entry]]]]),
    } as unknown as Redis;
    const consumer = new LogConsumer(router, redis, OPTIONS);
    await consumer.run(stop.signal);
    expect(consumer.staleReadBacks).toBeGreaterThanOrEqual(1);
    expect(consumer.stopped).toBeUndefined();
    // Nothing applied: the consumer's only writes were its registration.
    expect(router.write).toHaveBeenCalledTimes(1);
  });

  it('applies the part of a batch before another history’s entries, in smaller batches', async () => {
    // Seqs 1-4 in the stream; the outbox gave only 1 and 2 those events (3 and 4 are a history a
    // failover lost). A whole batch is refused; the consumer still gets through 1 and 2.
    const stop = new AbortController();
    const entries = [1, 2, 3, 4].map((seq) => [
      `${seq}-0`,
      toFields({
        eventId: `00000000-0000-4000-8000-00000000000${seq}`,
        type: RIDE_CREATED,
        version: 1,
        occurredAt: new Date(0).toISOString(),
        token: '1:0/100',
        payload: { ride_id: seq, user_id: 1, distance: '1.5' },
      }),
    ]);
    let position = 0;
    const em = {
      query: (sql: string, params: unknown[]) => {
        if (!sql.includes('WITH known')) return Promise.resolve([]);
        const known = (params[8] as string[]).filter((seq) => Number(seq) <= 2).length;
        const n = known === Number(params[2]) && params[4] === String(position) ? 1 : 0;
        if (n === 1) position = Number(params[3]);
        if (position === 2) stop.abort();
        return Promise.resolve([{ n, known, lettered: 0 }]);
      },
    };
    const router = {
      write: (work: (m: typeof em) => Promise<unknown>) => work(em).then((result) => ({ result })),
      read: (_work: unknown, options: { primary?: boolean }) =>
        Promise.resolve(
          options.primary
            ? { result: [{ total: '0', rides: '0', last: String(position) }] }
            : {
                result: [1, 2, 3, 4].map((id) => ({ id: String(id), distance: '1.5' })),
                servedBy: 'replica0',
              },
        ),
    } as unknown as ReplicaRouter<EntityManager>;
    let reads = 0;
    const redis = {
      xread: (...args: unknown[]) => {
        // At most six reads: the run ends there if the consumer gets nowhere.
        if (++reads === 6) stop.abort();
        const count = Number(args[1]);
        const from = Number(String(args.at(-1)).split('-')[0]);
        const next = entries.slice(from, from + count);
        return Promise.resolve(next.length > 0 ? [['log', next]] : null);
      },
    } as unknown as Redis;
    const consumer = new LogConsumer(router, redis, { ...OPTIONS, blockMs: 1 });
    await consumer.run(stop.signal);
    expect(position).toBe(2);
  });

  it('counts its rounds on a monotonic clock: the wall clock stepped an hour ahead makes it no stuck loop', async () => {
    const stop = new AbortController();
    const router = {
      write: () => Promise.resolve({ result: [] }),
      read: () => Promise.resolve({ result: [{ total: '0', rides: '0', last: '0' }] }),
    } as unknown as ReplicaRouter<EntityManager>;
    const redis = {
      xread: () => {
        stop.abort(); // one round, which finds nothing
        return Promise.resolve(null);
      },
    } as unknown as Redis;
    const consumer = new LogConsumer(router, redis, OPTIONS);
    await consumer.run(stop.signal);
    expect(consumer.turning()).toBe(true);
    expect(turningAfterWallStep(consumer)).toBe(true);
  });

  it('counts a consumer blocking up to a minute per read as turning until 15 s past that', () => {
    const consumer = new LogConsumer({} as ReplicaRouter<EntityManager>, {} as Redis, {
      name: 'consumer0',
      stream: 'log',
      batch: 10,
      blockMs: 60_000,
      failRate: 0,
    });
    expect(consumer.turning(1_000_000)).toBe(false); // no read yet
    consumer.lastRoundAt = 1_000_000;
    expect(consumer.turning(1_000_000 + 74_000)).toBe(true);
    expect(consumer.turning(1_000_000 + 76_000)).toBe(false);
  });
});
