import { isNodeFailure, isReadOnlyRefusal, isTransient } from './db-errors.util';
import { PrimaryUnavailableError } from './exceptions/primary-unavailable.exception';
import { RoutingClosedError } from './exceptions/routing-closed.exception';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import { markedCommitUnknown } from './commit-unknown';
import type { TopologyDiscovery } from './topology/topology-discovery.service';
import type { Topology } from './topology/topology.service';
import { monotonicMs } from './clock';

/** See {@link ElectionWait.begin}. */
export interface ElectionStart {
  readonly version: number;
  /** On {@link monotonicMs}. */
  readonly deadline: number;
}

/**
 * A write (or a read only the primary could serve) while there is no
 * primary: with `hosts`, it waits for the election and runs again, only when
 * nothing of it can have committed (docs/design.md, "Failover and timelines").
 */
export class ElectionWait {
  /** Errors of reads that failed because the primary did, with the primary's error. */
  private readonly primaryFailures = new WeakMap<object, unknown>();

  constructor(
    private readonly options: ResolvedReplicaRoutingOptions,
    private readonly topology: Topology,
    private readonly discovery: TopologyDiscovery,
  ) {}

  /** Remembers that a read's `failure` came from the primary's `error`. */
  rememberPrimaryFailure(failure: object, error: unknown): void {
    this.primaryFailures.set(failure, error);
  }

  /**
   * Runs `once`, and again while it fails because there is no primary (an
   * election: see {@link awaitsElection}), discovering between tries, for up
   * to `electionWaitMs`; then fails with {@link PrimaryUnavailableError}.
   * Without `hosts` it runs once.
   */
  async run<T>(once: () => Promise<T>): Promise<T> {
    const start = this.begin();
    try {
      return await once();
    } catch (error) {
      return this.retry(start, error, once);
    }
  }

  /**
   * What {@link retry} needs to know of the first try, taken before it: a
   * caller on a hot path runs the first try itself (no closure, no frame)
   * and calls {@link retry} only when it fails.
   */
  begin(): ElectionStart {
    return {
      version: this.topology.version,
      deadline: monotonicMs() + this.options.electionWaitMs,
    };
  }

  /** After a try begun at `start` failed with `error`: the tries of {@link run} that follow. */
  async retry<T>(start: ElectionStart, error: unknown, once: () => Promise<T>): Promise<T> {
    let version = start.version;
    for (;;) {
      const primaryError = this.primaryFailures.get(error as object) ?? error;
      if (!this.awaitsElection(primaryError)) throw error;
      if (monotonicMs() >= start.deadline) throw this.noPrimary(primaryError);
      // Closing: no election will be seen, and a try refused without I/O (an open breaker) would
      // spin here, starving the event loop, until the deadline.
      if (this.discovery.stopped)
        throw new RoutingClosedError('no new primary is waited for', { cause: primaryError });
      await this.discovery.awaitChange(version, start.deadline);
      version = this.topology.version;
      try {
        return await once();
      } catch (next) {
        error = next;
      }
    }
  }

  /**
   * Whether work that failed on the primary may wait for a (new) primary and
   * run again: only with discovery, only if the primary failed or refused it as
   * read-only (SQLSTATE 25006: a standby now), never if a COMMIT may have gone
   * through, and not for load (more tries would only add to it).
   */
  private awaitsElection(error: unknown): boolean {
    if (!this.topology.discovering || markedCommitUnknown(error)) return false;
    const cause = error instanceof PrimaryUnavailableError ? error.cause : error;
    if (isTransient(cause)) return false;
    return (
      error instanceof PrimaryUnavailableError || isNodeFailure(error) || isReadOnlyRefusal(cause)
    );
  }

  private noPrimary(error: unknown): PrimaryUnavailableError {
    const waited = `no primary answered within ${this.options.electionWaitMs} ms (a failover?)`;
    return new PrimaryUnavailableError(1000, error, waited);
  }
}
