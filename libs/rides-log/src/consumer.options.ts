export interface ConsumerOptions {
  name: string;
  stream: string;
  /** Entries read (and applied in one transaction) at most per batch. */
  batch: number;
  /** How long one XREAD blocks, ms. */
  blockMs: number;
  /** Failure injection: the share of batches that fail after computing, before commit. */
  failRate: number;
}

/** The consumer's position and result, as `consumer_states` holds them. */
export interface ConsumerState {
  totalDistance: string;
  ridesCounted: string;
  lastSeq: bigint;
}
