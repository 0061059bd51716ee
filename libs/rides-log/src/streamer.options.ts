export interface StreamerOptions {
  stream: string;
  /** Events sequenced and published per batch. */
  batch: number;
  /** Fallback poll when no NOTIFY comes, ms. */
  pollMs: number;
  /** How often the stream is compared with the outbox, trimmed, and old events deleted, ms. */
  maintenanceMs: number;
  /** How long published events stay in the outbox at least, s (and never less than every consumer needs). */
  retentionS: number;
  /** How often a standby tries the lease, ms. */
  leaseRetryMs: number;
  /** Failure injection: the share of batches that fail after XADD, before being marked published. */
  failRate: number;
  /** The advisory lock key of the lease. */
  leaseKey: number;
}

export type StreamerRole = 'starting' | 'standby' | 'active';
