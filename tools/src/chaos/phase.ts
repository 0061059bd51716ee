import type { SimulationStats } from '../stack/simulator.starter';

export interface Phase {
  name: string;
  /** Error kinds (`write_503`, `read_network`...) this phase may see; none when unset. */
  allowedErrors?: RegExp;
  /** Reads must answer within READ_BOUND_MS (every phase in which the primary is up and the load normal). */
  readBound: boolean;
  /**
   * The phase may pass without a read the simulator checked (a 200 or a 404
   * judged). Unset: it fails with none, so that "0 stale" in it means reads
   * were checked, the primary's outages included (users read their last ride
   * while their write is retried).
   */
  mayCheckNoRead?: boolean;
  /** Runs the fault and its repair. */
  run(): Promise<PhaseOutcome | void>;
}

export interface PhaseOutcome {
  /** For the report: recovery times, say. */
  note?: string;
  /** Violations the phase found itself (no recovery, a bad burst answer...): each fails the run. */
  problems?: string[];
}

/** The simulator's counters at one moment; two of them give a phase's numbers. */
export interface Snapshot {
  writes: number;
  reads: number;
  /** Reads whose answer was judged (see SimulationStats.checked). */
  checked: number;
  stale: number;
  givenUp: number;
  acknowledged: number;
  /** Index into `readMs`: the reads of a phase are those between two snapshots. */
  readIndex: number;
  errors: Map<string, number>;
  byNode: Map<string, number>;
}

export function snapshot(s: SimulationStats | undefined): Snapshot {
  return {
    writes: s?.writes ?? 0,
    reads: s?.reads ?? 0,
    checked: s?.checked ?? 0,
    stale: s?.stale ?? 0,
    givenUp: s?.givenUp ?? 0,
    acknowledged: s?.acknowledged.length ?? 0,
    readIndex: s?.readMs.length ?? 0,
    errors: new Map(s?.errors ?? []),
    byNode: new Map(s?.readsByNode ?? []),
  };
}

export function diff(after: Snapshot, before: Snapshot): Snapshot {
  const sub = (a: Map<string, number>, b: Map<string, number>) =>
    new Map(
      [...a].map(([k, v]) => [k, v - (b.get(k) ?? 0)] as [string, number]).filter(([, v]) => v > 0),
    );
  return {
    writes: after.writes - before.writes,
    reads: after.reads - before.reads,
    checked: after.checked - before.checked,
    stale: after.stale - before.stale,
    givenUp: after.givenUp - before.givenUp,
    acknowledged: after.acknowledged - before.acknowledged,
    readIndex: before.readIndex,
    errors: sub(after.errors, before.errors),
    byNode: sub(after.byNode, before.byNode),
  };
}

/** p99 and max of the given latencies, in ms (0 when none). */
export function latency(ms: number[]): { p99: number; max: number } {
  if (ms.length === 0) return { p99: 0, max: 0 };
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    p99: sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))]!,
    max: sorted[sorted.length - 1]!,
  };
}
