import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import { seconds } from './node-record';

/** A node's breaker as it is kept in its record. */
export interface BreakerState {
  /** Consecutive failed attempts (connection refused, lost, timed out). */
  failures: number;
  /** Open until then (ms, monotonic): no attempt goes through. 0: closed. In the past: half-open. */
  benchedUntil: number;
  /** When the half-open breaker's one trial attempt started (monotonic); null when none is in flight. */
  trialSince: number | null;
  lastError: string | null;
}

export interface BreakerPolicy {
  /** Consecutive failures that open it. */
  threshold: number;
  /** How long it stays open after the `failures`-th failure, ms. */
  benchMs(failures: number): number;
  /** A trial cannot outlive this (a statement plus a connect timeout: the client's query_timeout), ms. */
  trialLimitMs: number;
}

/** The longest the primary is benched after its first failure, ms. */
const FIRST_PRIMARY_BENCH_MS = 1000;

/**
 * A node's breaker policy. A replica is benched after
 * `replicaFailureThreshold` consecutive failures for `replicaBenchMs`; the
 * primary after one failure: for at most a second at first (its half-open
 * trial then tells a primary that is down from one that dropped a
 * connection), for `primaryCooldownMs` once its trial failed too.
 */
export function nodeBreakerPolicy(
  o: Pick<
    ResolvedReplicaRoutingOptions,
    | 'replicaFailureThreshold'
    | 'replicaBenchMs'
    | 'primaryCooldownMs'
    | 'statementTimeoutMs'
    | 'connectTimeoutMs'
  >,
  primary: boolean,
): BreakerPolicy {
  return {
    threshold: primary ? 1 : o.replicaFailureThreshold,
    benchMs: (failures) =>
      !primary
        ? o.replicaBenchMs
        : failures === 1
          ? Math.min(FIRST_PRIMARY_BENCH_MS, o.primaryCooldownMs)
          : o.primaryCooldownMs,
    trialLimitMs: o.statementTimeoutMs + o.connectTimeoutMs,
  };
}

/**
 * A circuit breaker over one node's {@link BreakerState}: open for a while
 * after `threshold` consecutive failures; then half-open, letting one attempt
 * at a time through (the others are refused as if it were still open); that
 * one's success closes it, its failure opens it again at once. Load is no
 * verdict either way ({@link endTrial}).
 */
export class Breaker {
  constructor(
    private readonly state: BreakerState,
    private readonly policy: BreakerPolicy,
    private readonly now: () => number,
  ) {}

  /** Open, or half-open with its trial in flight: no attempt may go through now. */
  get refusing(): boolean {
    return this.state.benchedUntil > this.now() || this.trialInFlight();
  }

  /** Whether an attempt may go through now; a half-open breaker lets this one through as its trial. */
  admit(): boolean {
    if (this.state.benchedUntil === 0) return true;
    if (this.refusing) return false;
    this.state.trialSince = this.now();
    return true;
  }

  /** An attempt ended with no verdict on the node (load, or it never reached the node). */
  endTrial(): void {
    this.state.trialSince = null;
  }

  /** Whole milliseconds until an open breaker lets a trial through (0 when closed). */
  retryInMs(): number {
    return Math.max(0, Math.ceil(this.state.benchedUntil - this.now()));
  }

  /** Closes it; true when it had been opened. */
  succeed(): boolean {
    const s = this.state;
    const reopened = s.failures > 0 && s.benchedUntil > 0;
    s.failures = 0;
    s.benchedUntil = 0;
    s.trialSince = null;
    return reopened;
  }

  /** Counts a failure; returns how long it opened for when this one opened it, else null. */
  fail(error: unknown): number | null {
    const s = this.state;
    s.failures += 1;
    s.trialSince = null;
    s.lastError = error instanceof Error ? error.message : String(error);
    if (s.failures < this.policy.threshold || this.refusing) return null;
    const ms = this.policy.benchMs(s.failures);
    s.benchedUntil = this.now() + ms;
    return ms;
  }

  /** Why it refuses an attempt now, or null when it does not. */
  why(): string | null {
    const s = this.state;
    const left = s.benchedUntil - this.now();
    if (left > 0)
      return `benched for ${seconds(left)} more after ${s.failures} failure(s) (${s.lastError})`;
    return this.trialInFlight() ? 'half-open: one trial attempt is in flight' : null;
  }

  private trialInFlight(): boolean {
    const since = this.state.trialSince;
    return since !== null && this.now() - since < this.policy.trialLimitMs;
  }
}
