import type { Lsn } from '../lsn.util';

/** One row of the status table, as the observer writes it. */
export interface ReplicaStatusRow {
  name: string;
  /** `primary` for the primary's own row (its current WAL position), `replica` otherwise. */
  role: 'primary' | 'replica';
  lsn: Lsn | null;
  /** ms since epoch, on the observer's clock (keep hosts in sync: routers compare it with theirs). */
  observedAt: number;
  reachable: boolean;
  lagBytes: number | null;
  /** Seconds since the last transaction the replica replayed was committed (`pg_last_xact_replay_timestamp()`); grows while the primary is idle. */
  lagSeconds: number | null;
  error: string | null;
}
