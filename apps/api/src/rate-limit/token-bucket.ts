/**
 * Token buckets by key, in this process: `rate` tokens a second up to `burst`.
 * Idle buckets are dropped on the way, so memory follows the active keys.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    /** A monotonic clock: a step of the wall clock back would drain every bucket by the step. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes a token for `key`: 0 when granted, else the ms until one is available. */
  take(key: string): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    let waitMs = 0;
    if (bucket.tokens >= 1) bucket.tokens -= 1;
    else waitMs = Math.ceil(((1 - bucket.tokens) / this.rate) * 1000 - 1e-9);
    // After the charge (a bucket swept before it would be charged in vain), at most once a second.
    if (this.buckets.size > 10_000 && now - this.sweptAt >= 1000) this.sweep(now);
    return waitMs;
  }

  private sweptAt = -Infinity;

  /** Drops buckets that would be full again: they carry no state. */
  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [key, b] of this.buckets)
      if (b.tokens + ((now - b.at) / 1000) * this.rate >= this.burst) this.buckets.delete(key);
  }
}
