export interface AdmissionLimits {
  /** Requests worked on at once. */
  maxInFlight: number;
  /** Requests waiting for a place, first come first served. */
  maxQueued: number;
  /** How long a request may wait for a place before it is refused, ms. */
  maxWaitMs: number;
}

/** The longest Retry-After the gate asks for, s. */
export const MAX_RETRY_AFTER_S = 10;
/** Completions are counted over windows of this length to estimate the rate requests leave at. */
const RATE_WINDOW_MS = 1000;

interface Waiter {
  admit(): void;
  refuse(): void;
  timer: NodeJS.Timeout;
}

/**
 * At most `maxInFlight` requests at work; up to `maxQueued` more wait, each at
 * most `maxWaitMs`; beyond that a request is refused at once. A waiting client
 * sends nothing more, so a queue turns a crowd of clients into a steady stream
 * of work instead of a storm of refusals and retries; the bound on waiting
 * keeps the queue from growing into timeouts.
 */
export class AdmissionGate {
  private working = 0;
  /** Insertion-ordered: the first entry has waited longest. */
  private readonly waiting = new Set<Waiter>();
  /** Requests refused since the last `takeRefused()`. */
  private refused = 0;
  private completed = 0;
  private windowStart: number;
  /** Requests done per second over the last full window. */
  private leaveRate = 0;

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.windowStart = now();
  }

  get inFlight(): number {
    return this.working;
  }

  get queued(): number {
    return this.waiting.size;
  }

  /**
   * Calls `admit` once the request may go on (at once if there is room), or
   * `refuse` if the queue is full or the wait ran out. Returns a cancel for a
   * request whose client went away while it waited (neither is called then).
   * Every admitted request must be followed by one `leave()`.
   */
  enter(admit: () => void, refuse: () => void): () => void {
    if (this.working < this.limits.maxInFlight) {
      this.working++;
      admit();
      return () => undefined;
    }
    if (this.waiting.size >= this.limits.maxQueued) {
      this.refused++;
      refuse();
      return () => undefined;
    }
    const waiter: Waiter = {
      admit,
      refuse,
      timer: setTimeout(() => {
        this.waiting.delete(waiter);
        this.refused++;
        refuse();
      }, this.limits.maxWaitMs),
    };
    this.waiting.add(waiter);
    return () => {
      if (this.waiting.delete(waiter)) clearTimeout(waiter.timer);
    };
  }

  /** An admitted request is done: its place goes to the longest waiter. */
  leave(): void {
    this.working--;
    this.measure();
    this.completed++;
    for (const next of this.waiting) {
      if (this.working >= this.limits.maxInFlight) break;
      this.waiting.delete(next);
      clearTimeout(next.timer);
      this.working++;
      next.admit();
    }
  }

  /**
   * When a refused client should come back, in whole seconds: the time the
   * queue ahead of it needs to drain at the rate requests are finishing
   * (1 to {@link MAX_RETRY_AFTER_S}). A crowd told to come back when there
   * is room spends its wait asleep instead of in a storm of refused retries.
   */
  retryAfterSeconds(): number {
    this.measure();
    const seconds = Math.ceil(this.waiting.size / Math.max(this.leaveRate, 1));
    return Math.min(MAX_RETRY_AFTER_S, Math.max(1, seconds));
  }

  private measure(): void {
    const now = this.now();
    const elapsed = now - this.windowStart;
    if (elapsed < RATE_WINDOW_MS) return;
    this.leaveRate = (this.completed * 1000) / elapsed;
    this.completed = 0;
    this.windowStart = now;
  }

  /** How many requests were refused since the last call. */
  takeRefused(): number {
    const n = this.refused;
    this.refused = 0;
    return n;
  }
}
