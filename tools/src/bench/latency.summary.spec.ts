import { percentile, summarizeLatency } from './latency.summary';

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
  });

  it('is NaN without samples', () => {
    expect(percentile([], 50)).toBeNaN();
  });

  it('sorts before it summarizes', () => {
    expect(summarizeLatency([5, 1, 3, 2, 4])).toEqual({ p50: 3, p99: 5 });
  });
});
