import { TokenBuckets } from './token-bucket';

describe('TokenBuckets', () => {
  let now: number;
  const buckets = () => new TokenBuckets(2, 2, () => now);

  beforeEach(() => (now = 0));

  it('grants a burst, then one token every 1/rate seconds, per key', () => {
    const b = buckets();
    expect([b.take('a'), b.take('a')]).toEqual([0, 0]);
    expect(b.take('a')).toBe(500);
    expect(b.take('b')).toBe(0);
    now += 499;
    expect(b.take('a')).toBe(1);
    now += 1;
    expect(b.take('a')).toBe(0);
  });

  it('never stores more than the burst', () => {
    const b = buckets();
    now += 60_000;
    expect([b.take('a'), b.take('a'), b.take('a')]).toEqual([0, 0, 500]);
  });

  it('limits a new key as any other once 10,000 others hold state (the sweep never drops the bucket it charges)', () => {
    const b = buckets();
    for (let i = 0; i <= 10_000; i++) b.take(`address ${i}`);
    expect([b.take('new'), b.take('new')]).toEqual([0, 0]);
    expect(b.take('new')).toBe(500);
  });

  it('runs on a monotonic clock: the wall clock stepped back an hour refuses nobody', () => {
    const wall = jest.spyOn(Date, 'now').mockReturnValue(1_800_000_000_000);
    try {
      const b = new TokenBuckets(2, 2);
      expect(b.take('a')).toBe(0);
      wall.mockReturnValue(1_800_000_000_000 - 3_600_000);
      expect(b.take('a')).toBe(0);
    } finally {
      wall.mockRestore();
    }
  });
});
