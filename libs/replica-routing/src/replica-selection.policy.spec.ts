import {
  planRead,
  readOutcome,
  type ReplicaCandidate,
  type SelectionInput,
} from './replica-selection.policy';

const replica = (
  name: string,
  lsn: bigint | null,
  extra: Partial<ReplicaCandidate> = {},
): ReplicaCandidate => ({
  name,
  weight: 1,
  available: true,
  lsn,
  lagBytes: 0,
  waitable: true,
  ...extra,
});

const input = (overrides: Partial<SelectionInput>): SelectionInput => ({
  replicas: [],
  token: 100n,
  tokenlessReads: 'primary',
  maxLagBytes: 1000,
  primaryReadShare: 0,
  maxReplicaAttempts: 5,
  random: Math.random,
  ...overrides,
});

/** A deterministic stream of numbers in [0, 1). */
function seeded(seed = 42): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('planRead', () => {
  it('only offers replicas known to have replayed the token', () => {
    const plan = planRead(
      input({
        replicas: [replica('a', 99n), replica('b', 100n), replica('c', 150n), replica('d', null)],
      }),
    );
    expect(plan.replicas.sort()).toEqual(['b', 'c']);
    expect(plan.primaryFirst).toBe(false);
    expect(plan.guess).toBe(false);
  });

  it('falls back to the primary when no replica is eligible or worth a try', () => {
    const replicas = [replica('a', 10n, { waitable: false }), replica('b', null)];
    expect(planRead(input({ replicas }))).toEqual({
      replicas: [],
      primaryFirst: true,
      guess: false,
      order: ['primary'],
      primaryReason: 'primary_no_replica',
    });
  });

  it('skips unavailable (benched) and zero-weight replicas', () => {
    const plan = planRead(
      input({
        replicas: [
          replica('a', 200n, { available: false }),
          replica('b', 200n, { weight: 0 }),
          replica('c', 200n),
        ],
      }),
    );
    expect(plan.replicas).toEqual(['c']);
  });

  it('sends tokenless reads to the primary by default', () => {
    expect(planRead(input({ token: null, replicas: [replica('a', 200n)] }))).toEqual({
      replicas: [],
      primaryFirst: true,
      guess: false,
      order: ['primary'],
      primaryReason: 'primary_tokenless',
    });
  });

  it('sends a forced read to the primary alone, and says why', () => {
    const plan = planRead(input({ forced: true, replicas: [replica('a', 200n)] }));
    expect(plan.order).toEqual(['primary']);
    expect(readOutcome('primary', plan)).toBe('primary_forced');
  });

  it('tries the primary first without a recent sample of its position, replicas after it', () => {
    const plan = planRead(input({ stale: true, replicas: [replica('a', 200n)] }));
    expect(plan.order).toEqual(['primary', 'a']);
    expect(readOutcome('primary', plan)).toBe('primary_forced');
    expect(readOutcome('a', plan)).toBe('replica');
  });

  it('orders replicas before the primary, and names a guess as one', () => {
    const known = planRead(input({ replicas: [replica('a', 200n)] }));
    expect(known.order).toEqual(['a', 'primary']);
    expect(readOutcome('a', known)).toBe('replica');
    const guessed = planRead(input({ replicas: [replica('a', 10n)] }));
    expect(guessed.order).toEqual(['a', 'primary']);
    expect(readOutcome('a', guessed)).toBe('replica_guess');
    expect(readOutcome('primary', guessed)).toBe('primary_no_replica');
  });

  it("lets tokenless reads use replicas within the lag budget under 'replica'", () => {
    const plan = planRead(
      input({
        token: null,
        tokenlessReads: 'replica',
        replicas: [
          replica('near', 1n, { lagBytes: 1000 }),
          replica('far', 1n, { lagBytes: 1001 }),
          replica('unknown', 1n, { lagBytes: null }),
        ],
      }),
    );
    expect(plan.replicas).toEqual(['near']);
  });

  it('spreads reads by weight', () => {
    const random = seeded();
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 20_000; i++) {
      const plan = planRead(
        input({
          random,
          replicas: [replica('a', 200n, { weight: 2 }), replica('b', 200n), replica('c', 200n)],
        }),
      );
      counts[plan.replicas[0]!]! += 1;
    }
    expect(counts.a! / 20_000).toBeCloseTo(0.5, 1);
    expect(counts.b! / 20_000).toBeCloseTo(0.25, 1);
    expect(counts.c! / 20_000).toBeCloseTo(0.25, 1);
  });

  it('keeps the configured share of reads on the primary', () => {
    const random = seeded(7);
    let primaryFirst = 0;
    for (let i = 0; i < 10_000; i++) {
      if (
        planRead(input({ random, primaryReadShare: 0.2, replicas: [replica('a', 200n)] }))
          .primaryFirst
      )
        primaryFirst++;
    }
    expect(primaryFirst / 10_000).toBeCloseTo(0.2, 1);
  });

  it('tries one streaming replica, chosen by weight, when none is known to be there yet', () => {
    const random = seeded(3);
    const chosen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const plan = planRead(
        input({
          random,
          replicas: [
            replica('a', 90n),
            replica('b', 90n),
            replica('paused', 50n, { waitable: false }),
            replica('new', null),
          ],
        }),
      );
      expect(plan.replicas).toHaveLength(1);
      expect(plan.primaryFirst).toBe(false);
      expect(plan.guess).toBe(true);
      chosen.add(plan.replicas[0]!);
    }
    expect([...chosen].sort()).toEqual(['a', 'b']);
  });

  it('tries no replica whose last try came up short, and none for a tokenless read', () => {
    expect(
      planRead(input({ replicas: [replica('a', 90n, { waitable: false })] })).replicas,
    ).toEqual([]);
    const tokenless = { token: null, tokenlessReads: 'replica' as const, maxLagBytes: 10 };
    expect(
      planRead(input({ ...tokenless, replicas: [replica('a', 90n, { lagBytes: 11 })] })).replicas,
    ).toEqual([]);
  });

  it('tries at most maxReplicaAttempts replicas', () => {
    const replicas = ['a', 'b', 'c', 'd'].map((n) => replica(n, 200n));
    expect(planRead(input({ replicas, maxReplicaAttempts: 2 })).replicas).toHaveLength(2);
  });
});
