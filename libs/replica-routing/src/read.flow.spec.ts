import type { PositionRead } from './interfaces/node-answers.interface';
import { replayCovers } from './postgres/wal.queries';
import { WriteLostError } from './exceptions/write-lost.exception';
import { markConnectFailure } from './db-errors.util';
import { PrimaryUnavailableError } from './exceptions/primary-unavailable.exception';
import { NoNodeAvailableError } from './exceptions/no-node-available.exception';
import { setRoutingLogger } from './logger';
import { NodeExecutor } from './node-executor.service';
import { pgAdapter, type PgHandle } from './pg/pg.adapter';
import { createRoutingParts } from './replica-routing';

const url = 'postgres://127.0.0.1:1/x';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pgError = (message: string, code: string) => Object.assign(new Error(message), { code });

/** Tries in order; the replicas refuse the work with `refusal`, the primary serves it. */
const served: string[] = [];
let refusal: Error;
class StandbysRefuse extends NodeExecutor<PgHandle> {
  override readOnReplica(name: string): Promise<never> {
    served.push(name);
    return Promise.reject(refusal);
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

  it.each([
    ['serializable mode', pgError('cannot use serializable mode in a hot standby', '0A000')],
    ['a write', pgError('cannot execute INSERT in a read-only transaction', '25006')],
    ['a WAL control function', pgError('recovery is in progress', '55000')],
  ])(
    'goes to the primary after the first replica refuses %s, not through every replica',
    async (_, error) => {
      served.length = 0;
      refusal = error;
      const routing = createRoutingParts(
        {
          primary: { url },
          replicas: ['r1', 'r2', 'r3'].map((name) => ({ name, url })),
          maxReplicaAttempts: 3,
          primaryReadShare: 0,
        },
        pgAdapter(),
        { Executor: StandbysRefuse as typeof NodeExecutor },
      );
      // Every replica known to have the token, the primary's position fresh: replicas first.
      routing.state.observePrimary(100n);
      for (const name of ['r1', 'r2', 'r3']) routing.state.observeReplay(name, 100n);
      const read = await routing.router.read(() => Promise.resolve('read'), { token: '0/50' });
      expect(read.servedBy).toBe('primary');
      expect(served).toHaveLength(2);
      expect(served[0]).toMatch(/^r[123]$/);
      expect(served[1]).toBe('primary');
      await routing.close();
    },
  );
});

/** A primary whose covered reads answer once the clock has moved on by a second. */
class SlowPrimary extends NodeExecutor<PgHandle> {
  static clock = 1_000_000;
  override async readOnPrimary<T>(work: (handle: PgHandle, node: string) => Promise<T>) {
    const result = await work({} as PgHandle, 'primary');
    SlowPrimary.clock += 1000;
    return { result, token: { tli: null, lsn: 500n } };
  }
}

describe('ReadFlow, the primary position a read brings back', () => {
  it('is a sample stamped when it was asked, not when the answer came', async () => {
    const routing = createRoutingParts({ primary: { url } }, pgAdapter(), {
      Executor: SlowPrimary as typeof NodeExecutor,
    });
    routing.state.now = () => SlowPrimary.clock;
    const asked = SlowPrimary.clock;
    await routing.router.read(() => Promise.resolve('read'), { primary: true });
    // Commits that finished during that second may be past 500: the sample must not claim them.
    expect(routing.state.get('primary').observedAt).toBe(asked);
    expect(routing.state.primaryPositionSince(asked + 1)).toBeNull();
    await routing.close();
  });
});

/** A primary that answers with `answer`. */
let answer: Error;
class PrimaryAnswers extends NodeExecutor<PgHandle> {
  override readOnPrimary(): Promise<never> {
    return Promise.reject(answer);
  }
}

describe("ReadFlow, the primary's own answer to a statement", () => {
  const read = async () => {
    const routing = createRoutingParts({ primary: { url } }, pgAdapter(), {
      Executor: PrimaryAnswers as typeof NodeExecutor,
    });
    try {
      return await routing.router.read(() => Promise.resolve('read'), { primary: true });
    } finally {
      await routing.close();
    }
  };

  it('reaches the caller as it is (a statement timeout), not as an outage', async () => {
    answer = pgError('canceling statement due to statement timeout', '57014');
    await expect(read()).rejects.toBe(answer);
  });

  it('unless only a standby says it (the primary was demoted): no node could serve', async () => {
    answer = pgError('cannot use serializable mode in a hot standby', '0A000');
    await expect(read()).rejects.toBeInstanceOf(NoNodeAvailableError);
  });
});

/** The primary fails every read with `primaryError`; the replica serves whatever it is given. */
let primaryError: Error;
class PrimaryFails extends NodeExecutor<PgHandle> {
  /** The positions replicas were asked to have shown. */
  static asked: (bigint | null)[] = [];

  override readOnPrimary(): Promise<never> {
    return Promise.reject(primaryError);
  }

  override async readOnReplica<T>(
    name: string,
    token: bigint | null,
    tli: number | null,
    work: (handle: PgHandle, node: string) => Promise<T>,
  ) {
    PrimaryFails.asked.push(token);
    return {
      replayed: undefined,
      served: { result: await work({} as PgHandle, name), token: null },
    };
  }
}

describe('ReadFlow, a freshWithinMs read with no recent sample of the primary', () => {
  const read = async (known?: bigint) => {
    const routing = createRoutingParts(
      { primary: { url }, replicas: [{ name: 'r', url }] },
      pgAdapter(),
      { Executor: PrimaryFails as typeof NodeExecutor },
    );
    // The primary's last sample is a minute old; the replica has that position.
    routing.state.observePrimary(0x100n, routing.state.now() - 60_000);
    routing.state.observeReplay('r', 0x100n);
    // A position known later, with no time of its own (a write's synchronous standbys' flush).
    if (known !== undefined) routing.state.observePrimary(known);
    PrimaryFails.asked = [];
    try {
      return await routing.router.read(() => Promise.resolve('read'), { freshWithinMs: 1000 });
    } finally {
      await routing.close();
    }
  };

  it('goes to a replica at its last known position when the primary is down', async () => {
    primaryError = pgError('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED');
    await expect(read()).resolves.toMatchObject({ servedBy: 'r' });
  });

  it('asks the replica for the furthest position known of the primary, not only its last sample', async () => {
    primaryError = pgError('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED');
    await read(0x200n);
    expect(PrimaryFails.asked).toEqual([0x200n]);
  });

  it('and when the primary refuses this process’s login (it cannot serve it)', async () => {
    primaryError = pgError('password authentication failed for user "app"', '28P01');
    markConnectFailure(primaryError);
    await expect(read()).resolves.toMatchObject({ servedBy: 'r' });
  });

  it.each([
    ['too many connections', pgError('sorry, too many clients already', '53300')],
    ['this process’s queue for it full', pgError('the primary is overloaded', 'RR_OVERLOADED')],
  ])('fails when the primary is only busy (%s): it may be committing meanwhile', async (_, e) => {
    primaryError = e;
    await expect(read()).rejects.toBeInstanceOf(PrimaryUnavailableError);
  });
});

/** The new primary, on timeline 2, answers every read; no replica serves. */
let primaryCover: PositionRead[] = [];
class NewPrimary extends NodeExecutor<PgHandle> {
  override async readOnPrimary<T>(
    work: (handle: PgHandle, node: string) => Promise<T>,
    position: PositionRead,
  ) {
    primaryCover.push(position);
    return { result: await work({} as PgHandle, 'primary'), token: { tli: 2, lsn: 0x900n } };
  }

  override readOnReplica(): Promise<never> {
    return Promise.reject(pgError('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'));
  }
}

describe('ReadFlow, a primary bound while the timeline known is still the old one', () => {
  /** Patroni's /cluster names b leader with the timeline of its last report as a standby (1). */
  const read = async (token: string, cover: boolean) => {
    primaryCover = [];
    const routing = createRoutingParts(
      { hosts: ['a', 'b'].map((name) => ({ name, url })), electionWaitMs: 200 },
      pgAdapter(),
      { Executor: NewPrimary as typeof NodeExecutor },
    );
    routing.topology.apply({ primary: 'b', replicas: [], timeline: 1 });
    // Timeline 2's history, once asked for: timeline 1 ended at 0/300, where b's forked off it.
    jest.spyOn(routing.discovery, 'awaitHistory').mockImplementation(() => {
      routing.topology.learnEnds(new Map([[1, 0x300n]]), 2);
      return Promise.resolve(true);
    });
    try {
      return await routing.router.read(() => Promise.resolve('rows'), { token, cover });
    } finally {
      await routing.close();
    }
  };

  it.each([true, false])(
    'refuses a token past the old timeline’s end (cover: %s): its write was lost',
    async (cover) => {
      await expect(read('1:0/500', cover)).rejects.toBeInstanceOf(WriteLostError);
      // Without the cover the primary's position is still read (before the work), to check.
      expect(primaryCover).toEqual([cover ? 'after' : 'before']);
    },
  );

  it('serves a token on the new primary’s history; without the cover, hands back the one asked', async () => {
    await expect(read('1:0/200', false)).resolves.toMatchObject({
      servedBy: 'primary',
      position: { tli: 1, lsn: 0x200n },
    });
  });
});

/** A standby that replayed 0/900 and streams nothing (its primary is down); the primary refuses. */
const standbyServed: string[] = [];
class SilentStandby extends NodeExecutor<PgHandle> {
  override async readOnReplica<T>(
    name: string,
    token: bigint | null,
    tli: number | null,
    work: (handle: PgHandle, node: string) => Promise<T>,
  ) {
    const replayed = { lsn: 0x900n, tli: null };
    if (!replayCovers(replayed, token, tli)) return { replayed };
    standbyServed.push(name);
    return { replayed, served: { result: await work({} as PgHandle, name), token: null } };
  }

  override readOnPrimary(): Promise<never> {
    return Promise.reject(pgError('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'));
  }
}

describe('ReadFlow, a process that knows no timeline yet (started during an outage)', () => {
  it('serves no token of a timeline on a standby that cannot show which one it replays', async () => {
    const routing = createRoutingParts(
      { hosts: ['a', 'r'].map((name) => ({ name, url })), electionWaitMs: 100 },
      pgAdapter(),
      { Executor: SilentStandby as typeof NodeExecutor },
    );
    // Patroni's /cluster with no leader: the standby in rotation, no timeline.
    routing.topology.apply({ primary: null, replicas: ['r'], timeline: null });
    routing.state.observeReplay('r', 0x900n);
    // Timeline 1's write may be one the cluster's (unknown) timeline lost.
    const read = routing.router.read(() => Promise.resolve('rows'), { token: '1:0/500' });
    await expect(read).rejects.toThrow();
    expect(standbyServed).toEqual([]);
    await routing.close();
  });
});

/** The replica refuses, streaming timeline 3; meanwhile discovery binds b on 3; b answers on 3. */
class PromotedMeanwhile extends NodeExecutor<PgHandle> {
  onReplica = () => undefined as void;

  override readOnReplica(): Promise<never> {
    this.onReplica();
    return Promise.resolve({ replayed: { lsn: 0x900n, tli: 3 } }) as Promise<never>;
  }

  override async readOnPrimary<T>(work: (handle: PgHandle, node: string) => Promise<T>) {
    return { result: await work({} as PgHandle, 'primary'), token: { tli: 3, lsn: 0x900n } };
  }
}

describe('ReadFlow, a timeline that moves between the token’s resolution and the primary’s answer', () => {
  it.each([true, false])('still refuses a token its write was lost (cover: %s)', async (cover) => {
    const routing = createRoutingParts(
      { hosts: ['a', 'b', 'r'].map((name) => ({ name, url })), electionWaitMs: 100 },
      pgAdapter(),
      { Executor: PromotedMeanwhile as typeof NodeExecutor },
    );
    routing.topology.apply({ primary: 'a', replicas: ['r'], timeline: 2 });
    routing.state.observeReplay('r', 0x900n);
    jest.spyOn(routing.discovery, 'refresh').mockResolvedValue();
    (routing.executor as PromotedMeanwhile).onReplica = () =>
      routing.topology.apply({ primary: 'b', replicas: ['r'], timeline: 3 });
    // Timeline 3's history, once asked for: timeline 2 ended at 0/300.
    jest.spyOn(routing.discovery, 'awaitHistory').mockImplementation(() => {
      routing.topology.learnEnds(new Map([[2, 0x300n]]), 3);
      return Promise.resolve(true);
    });
    const read = routing.router.read(() => Promise.resolve('rows'), { token: '2:0/500', cover });
    await expect(read).rejects.toBeInstanceOf(WriteLostError);
    await routing.close();
  });
});

/** The primary's answer: the old host's connection fails after the role moved to another host. */
class FailsAfterFailover extends NodeExecutor<PgHandle> {
  failover = (): void => undefined;

  override readOnPrimary(): Promise<never> {
    this.failover();
    return Promise.reject(pgError('read ECONNRESET', 'ECONNRESET'));
  }
}

describe('ReadFlow, a failure on the old primary after a failover', () => {
  it('reaches its caller but benches nothing: the new primary is another host', async () => {
    const routing = createRoutingParts(
      { hosts: ['a', 'b'].map((name) => ({ name, url })), electionWaitMs: 0 },
      pgAdapter(),
      { Executor: FailsAfterFailover as typeof NodeExecutor },
    );
    routing.topology.apply({ primary: 'a', replicas: [], timeline: 2 });
    jest.spyOn(routing.discovery, 'refresh').mockResolvedValue();
    (routing.executor as FailsAfterFailover).failover = () =>
      routing.topology.apply({ primary: 'b', replicas: [], timeline: 3 });
    const read = routing.router.read(() => Promise.resolve('rows'), { primary: true });
    await expect(read).rejects.toBeInstanceOf(PrimaryUnavailableError);
    expect(routing.state.isBenched('primary')).toBe(false);
    expect(routing.state.get('primary').failures).toBe(0);
    await routing.close();
  });
});

/** Replicas refuse the work as a write (25006); the primary runs it and answers its position. */
class WritesOnPrimary extends NodeExecutor<PgHandle> {
  readonly asked: PositionRead[] = [];

  override readOnReplica(): Promise<never> {
    return Promise.reject(pgError('cannot execute INSERT in a read-only transaction', '25006'));
  }

  override async readOnPrimary<T>(
    work: (handle: PgHandle, node: string) => Promise<T>,
    position: PositionRead,
  ) {
    this.asked.push(position);
    const lsn = position === 'after' ? 0x900n : 0x500n; // the work wrote at 0/600
    return { result: await work({} as PgHandle, 'primary'), token: { tli: null, lsn } };
  }
}

describe('ReadFlow, a read whose work wrote on the primary once a replica refused it', () => {
  it('returns a token covering that write, cover or not', async () => {
    const routing = createRoutingParts(
      { primary: { url }, replicas: [{ name: 'r1', url }], primaryReadShare: 0 },
      pgAdapter(),
      { Executor: WritesOnPrimary as typeof NodeExecutor },
    );
    routing.state.observePrimary(0x500n);
    routing.state.observeReplay('r1', 0x500n);
    const read = await routing.router.read(() => Promise.resolve('wrote'), {
      token: '0/400',
      cover: false,
    });
    expect(read.servedBy).toBe('primary');
    expect((routing.executor as WritesOnPrimary).asked).toEqual(['after']);
    expect(read.token).toBe(0x900n);
    await routing.close();
  });
});

/** A former primary still up, on timeline 2 at `at`: it answers reads as a primary would. */
const formerPrimaryAt = (at: bigint) =>
  class FormerPrimary extends NodeExecutor<PgHandle> {
    override async readOnPrimary<T>(work: (handle: PgHandle, node: string) => Promise<T>) {
      return { result: await work({} as PgHandle, 'primary'), token: { tli: 2, lsn: at } };
    }
  };

describe('ReadFlow, a primary bound on a timeline the cluster has left (a stale Patroni answer)', () => {
  // Timeline 2 ended at 0/500: the former primary is before that end, or past it (WAL of its own
  // that no history holds): neither is the client's write lost, so no 410 either way.
  it.each([
    [true, 0x400n],
    [false, 0x400n],
    [true, 0x600n],
    [false, 0x600n],
  ])('serves nothing from it (cover: %s, at %s)', async (cover, at) => {
    const routing = createRoutingParts(
      { hosts: ['a', 'b'].map((name) => ({ name, url })), electionWaitMs: 100 },
      pgAdapter(),
      { Executor: formerPrimaryAt(at) as typeof NodeExecutor },
    );
    routing.topology.apply({ primary: 'b', replicas: [], timeline: 3 });
    routing.topology.learnEnds(new Map([[2, 0x500n]]), 3);
    // A stale view binds a, the former primary, while timeline 3 is known.
    routing.topology.apply({ primary: 'a', replicas: [], timeline: 2 });
    jest.spyOn(routing.discovery, 'refresh').mockResolvedValue();
    const read = routing.router.read(() => Promise.resolve('rows'), { token: '3:0/600', cover });
    await expect(read).rejects.toBeInstanceOf(PrimaryUnavailableError);
    await routing.close();
  });
});

/** Records where each read went; a replica serves at the position asked, the primary on timeline 2. */
const tried: string[] = [];
class AnyNodeServes extends NodeExecutor<PgHandle> {
  override async readOnReplica<T>(
    name: string,
    token: bigint | null,
    tli: number | null,
    work: (handle: PgHandle, node: string) => Promise<T>,
  ) {
    tried.push(name);
    const at = { tli: tli ?? 2, lsn: token ?? 0n };
    return { replayed: at, served: { result: await work({} as PgHandle, name), token: at } };
  }

  override async readOnPrimary<T>(work: (handle: PgHandle, node: string) => Promise<T>) {
    tried.push('primary');
    return { result: await work({} as PgHandle, 'primary'), token: { tli: 2, lsn: 0x9000n } };
  }
}

describe('ReadFlow, a freshWithinMs read across a failover it learns of while resolving', () => {
  it('goes to the primary: its sample of the old timeline’s primary bounds nothing now', async () => {
    const routing = createRoutingParts(
      { primary: { url }, replicas: [{ name: 'r', url }], primaryReadShare: 0 },
      pgAdapter(),
      { Executor: AnyNodeServes as typeof NodeExecutor },
    );
    tried.length = 0;
    try {
      routing.topology.observeTimeline(1);
      // A fresh sample of the primary's position on timeline 1; the replica is behind it.
      routing.state.observePrimary(0x3000n, routing.state.now());
      routing.state.observeReplay('r', 0x2000n);
      // The token names timeline 2: resolving it discovers the failover.
      jest.spyOn(routing.discovery, 'refresh').mockImplementation(() => {
        routing.topology.observeTimeline(2);
        return Promise.resolve();
      });
      const read = await routing.router.read(() => Promise.resolve('rows'), {
        token: '2:0/2000',
        freshWithinMs: 1000,
        cover: false,
      });
      // Before: served by r at 0/2000, behind the primary's position read within the bound.
      expect(read.servedBy).toBe('primary');
      expect(tried).toEqual(['primary']);
    } finally {
      await routing.close();
    }
  });

  it('with no fresh sample and the primary down, no replica serves: its last known position was the old timeline’s', async () => {
    const routing = createRoutingParts(
      { primary: { url }, replicas: [{ name: 'r', url }], primaryReadShare: 0 },
      pgAdapter(),
      { Executor: PrimaryFails as typeof NodeExecutor },
    );
    PrimaryFails.asked = [];
    primaryError = pgError('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED');
    try {
      routing.topology.observeTimeline(1);
      // The primary's last sample is a minute old (timeline 1); the replica has it.
      routing.state.observePrimary(0x3000n, routing.state.now() - 60_000);
      routing.state.observeReplay('r', 0x3000n);
      jest.spyOn(routing.discovery, 'refresh').mockImplementation(() => {
        routing.topology.observeTimeline(2);
        return Promise.resolve();
      });
      const read = routing.router.read(() => Promise.resolve('rows'), {
        token: '2:0/2000',
        freshWithinMs: 1000,
        cover: false,
      });
      // Before: the replica served at the token alone, with no freshness bound.
      await expect(read).rejects.toBeInstanceOf(PrimaryUnavailableError);
      // Nor the next read, which merges nothing blind: the old primary's position was forgotten.
      await sleep(1100); // past the primary's first bench
      const again = routing.router.read(() => Promise.resolve('rows'), {
        token: '2:0/2000',
        freshWithinMs: 1000,
        cover: false,
      });
      await expect(again).rejects.toBeInstanceOf(PrimaryUnavailableError);
      expect(PrimaryFails.asked).toEqual([]);
    } finally {
      await routing.close();
    }
  });
});
