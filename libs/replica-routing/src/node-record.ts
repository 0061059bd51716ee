import type { BreakerState } from './breaker';
import type { Lsn } from './lsn.util';

/** Everything one process knows about one node. Owned by {@link NodeState}; times are its clock's. */
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
  /** When this process learned `reachable`. */
  reachableSince: number;

  /** A try on this replica came up short: no read guesses or waits on it before then... */
  noWaitUntil: number;
  /** ...unless it is seen past this position (replay resumed). */
  stuckAt: Lsn | null;
}

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
