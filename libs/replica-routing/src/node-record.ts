import type { BreakerState } from './breaker';
import type { Lsn } from './lsn.util';

/**
 * Everything one process knows about one node. Owned by {@link NodeState}:
 * `observedAt` is wall time, the other times its monotonic clock's.
 */
export interface NodeRecord extends BreakerState {
  /**
   * Replicas: a replayed position, a lower bound of the truth. The primary:
   * the highest insert position seen (writes, the observer, token checks).
   */
  lsn: Lsn | null;
  /**
   * When `lsn` was observed (ms since epoch); null while the node was never
   * observed. For the primary: when `sampledLsn` was read off it.
   */
  observedAt: number | null;
  /** The primary only: its position as read at `observedAt`. */
  sampledLsn: Lsn | null;
  source: 'observer' | 'read' | null;
  /** Bytes behind the primary, as the observer last measured. */
  lagBytes: number | null;
  /** Seconds behind, from the replay timestamp, as the observer last measured. */
  lagSeconds: number | null;

  /** Last report: the observer's row, or this process's own reads. */
  reachable: boolean;
  /** When this process learned `reachable` (monotonic). */
  reachableSince: number;

  /** A try on this replica came up short: no read guesses or waits on it before then... */
  noWaitUntil: number;
  /** ...unless it is seen past this position (replay resumed). */
  stuckAt: Lsn | null;
}

/**
 * What `NodeState.admit` hands an attempt it lets through: the name's host as
 * it was then. Reported back with the outcome, it makes an attempt on a host
 * the name has since left (the old primary, after a failover) no news about
 * the one it holds now.
 */
export type Admission = object;

export function newRecord(): NodeRecord {
  return {
    lsn: null,
    observedAt: null,
    sampledLsn: null,
    source: null,
    lagBytes: null,
    lagSeconds: null,
    reachable: true,
    reachableSince: 0,
    failures: 0,
    benchedUntil: 0,
    trialSince: null,
    lastError: null,
    noWaitUntil: 0,
    stuckAt: null,
  };
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
