const RESERVOIR = 20_000;

/** Counters and latency samples of one run; `summary()` renders one line. */
export class SimulationStats {
  readonly startedAt = Date.now();
  givenUp = 0;
  /** Write attempts answered (any status); `acked` of them with a 201. */
  writes = 0;
  acked = 0;
  reads = 0;
  /**
   * Reads whose answer was judged: a ride read answered 200 or 404, a list
   * answered 200. A run whose reads all failed (503s) checked nothing.
   */
  checked = 0;
  /** API keys rotated (SIM_ROTATE_EVERY), and rotations given up (not in `givenUp`, the writes'). */
  rotations = 0;
  rotationsGivenUp = 0;
  stale = 0;
  readonly errors = new Map<string, number>();
  readonly readsByNode = new Map<string, number>();
  /** Every ride the API acknowledged (201), when tracking is on: what a lost-ride check verifies. */
  readonly acknowledged: AcknowledgedRide[] = [];
  /** Every read's latency in ms, in order, when tracking is on (the chaos run's per-phase p99 and max). */
  readonly readMs: number[] = [];
  private readonly latencies: number[] = [];

  constructor(readonly trackAcknowledged = false) {}
  private samples = 0;

  recordLatency(ms: number): void {
    this.samples++;
    if (this.latencies.length < RESERVOIR) this.latencies.push(ms);
    else {
      const slot = Math.floor(Math.random() * this.samples);
      if (slot < RESERVOIR) this.latencies[slot] = ms;
    }
  }

  recordRead(node: string | null, ms?: number): void {
    this.reads++;
    if (this.trackAcknowledged && ms !== undefined) this.readMs.push(ms);
    const key = node ?? 'unknown';
    this.readsByNode.set(key, (this.readsByNode.get(key) ?? 0) + 1);
  }

  recordError(kind: string): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }

  get errorCount(): number {
    return [...this.errors.values()].reduce((a, b) => a + b, 0);
  }

  /** Share of reads served by replicas (0..1). */
  get replicaShare(): number {
    const primary = this.readsByNode.get('primary') ?? 0;
    return this.reads === 0 ? 0 : (this.reads - primary) / this.reads;
  }

  percentile(p: number): number {
    if (this.latencies.length === 0) return 0;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  }

  summary(): string {
    const seconds = ((Date.now() - this.startedAt) / 1000).toFixed(1);
    const nodes =
      [...this.readsByNode.entries()]
        .sort()
        .map(([n, c]) => `${n}:${c}`)
        .join(',') || '-';
    const errors = [...this.errors.entries()].map(([k, c]) => `${k}:${c}`).join(',') || '0';
    return (
      `${seconds}s requests=${this.writes + this.reads} writes=${this.writes} acked=${this.acked} reads=${this.reads} ` +
      `checked=${this.checked} stale=${this.stale} errors=${errors} given_up=${this.givenUp} ` +
      (this.rotations + this.rotationsGivenUp > 0
        ? `rotations=${this.rotations} rotations_given_up=${this.rotationsGivenUp} `
        : '') +
      `replica_share=${(this.replicaShare * 100).toFixed(1)}% ` +
      `reads_by_node=${nodes} p50=${this.percentile(50).toFixed(1)}ms p99=${this.percentile(99).toFixed(1)}ms`
    );
  }
}

/** A ride the API acknowledged, with what reads it back: its token and its rider's credentials. */
export interface AcknowledgedRide {
  id: number;
  distance: number;
  /** The rider who wrote it: after an asynchronous failover, another ride may take a lost one's id. */
  userId: number;
  token: string | null;
  auth: Record<string, string>;
}
