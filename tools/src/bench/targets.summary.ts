import { roundTripsPerRead } from './own-ride-reads.phase';
import type { ReadAfterWrite } from './read-after-write.section';
import { apiCpuRatio, type RoutedVsPrimary } from './routed-vs-primary.section';
import type { ScalingPoint } from './scaling.section';
import { DISTURBED_CORES, otherCores } from './cpu.probe';
import { fmt, renderTable } from './table.printer';
import type { TwoProcesses } from './two-processes.section';
import type { Writes } from './writes.section';

/**
 * Routed reads per GET /rides/:id when the API does not export
 * `replica_routing_reads_total`: the user lookup of the API key guard and the
 * ride itself (apps/api/src/auth/api-key.guard.ts, rides.service.ts).
 */
export const ASSUMED_READS_PER_GET = 2;
/** What counts as zero primary statements per GET (a stray token check in 1,000 GETs). */
const ZERO = 0.001;
/** Write-then-read pairs the stale-read target needs answered to mean anything. */
const MIN_CHECKED_PAIRS = 100;

export interface Target {
  id: string;
  measure: string;
  measured: string;
  target: string;
  /** null: not measurable with this API (a counter it does not report). */
  met: boolean | null;
  values: Record<string, number | null>;
}

export interface Sections {
  routedVsPrimary: RoutedVsPrimary;
  readAfterWrite: ReadAfterWrite;
  writes: Writes;
  twoProcesses: TwoProcesses;
  scaling: ScalingPoint[];
}

/** The issue's targets, each with what this run measured. */
export function evaluateTargets(s: Sections): Target[] {
  const r = s.routedVsPrimary;
  const raw = s.readAfterWrite;
  const roundTrips = roundTripsPerRead(r.routed, ASSUMED_READS_PER_GET);
  const stale = raw.routed.stale + raw.primaryOnly.stale;
  const failedPairs = raw.routed.errors + raw.primaryOnly.errors;
  const checkedPairs = raw.routed.pairs + raw.primaryOnly.pairs - failedPairs;
  const acrossProcesses = s.twoProcesses.second.cost.primary.statements;
  const replicated = s.scaling.filter((p) => p.replicas > 0);
  const worstScaled = Math.max(...replicated.map((p) => p.phase.cost.primary.statements));
  const target = (
    id: string,
    measure: string,
    measured: string,
    goal: string,
    met: boolean | null,
    values: Record<string, number | null>,
  ): Target => ({ id, measure, measured, target: goal, met, values });
  const perReplicas = (cell: (p: ScalingPoint) => string) => s.scaling.map(cell).join(' / ');
  return [
    target(
      '1',
      'routed (a) / primary-only (b): req/s; p99',
      `${fmt.ratio(r.reqPerSecRatio)}; ${fmt.ratio(r.p99Ratio)}`,
      '>= 1.00x; <= 1.20x',
      r.reqPerSecRatio >= 1 && r.p99Ratio <= 1.2,
      { reqPerSecRatio: r.reqPerSecRatio, p99Ratio: r.p99Ratio },
    ),
    target(
      '2',
      `round trips per routed read (a)${r.routed.readsPerRequest === null ? `, ${ASSUMED_READS_PER_GET} reads/GET` : ''}`,
      fmt.num(roundTrips, 2),
      '<= 1.20',
      roundTrips === null ? null : roundTrips <= 1.2,
      { roundTripsPerRead: roundTrips, readsPerGet: r.routed.readsPerRequest },
    ),
    target(
      '3',
      'read after write: replica share; p50 - primary p50',
      `${fmt.pct(raw.routed.replicaShare)}; ${fmt.num(raw.p50DeltaMs, 2)} ms`,
      '>= 95%; <= 3 ms',
      raw.routed.replicaShare >= 0.95 && raw.p50DeltaMs <= 3,
      { replicaShare: raw.routed.replicaShare, p50DeltaMs: raw.p50DeltaMs },
    ),
    target(
      '3s',
      'STALE READS right after write; pairs failed; pairs checked',
      `${fmt.int(stale)}; ${fmt.int(failedPairs)}; ${fmt.int(checkedPairs)}`,
      `0; 0; >= ${MIN_CHECKED_PAIRS}`,
      // Pairs that failed checked nothing: "0 stale" needs every pair answered, and enough of them.
      stale === 0 && failedPairs === 0 && checkedPairs >= MIN_CHECKED_PAIRS,
      { stale, failedPairs, checkedPairs },
    ),
    target(
      '4',
      // The issue's second commit was a second write transaction (min_lsn). xact_commit also counts
      // every read-only statement run outside a transaction, which writes no WAL and waits for no
      // flush or standby: shown, not judged.
      'write transactions per POST /rides (xact_commit)',
      `${fmt.num(s.writes.writeTransactionsPerPost, 2)} (${fmt.num(s.writes.commitsPerPost, 2)})`,
      '1 (<= 1.05)',
      s.writes.writeTransactionsPerPost <= 1.05,
      {
        commitsPerPost: s.writes.commitsPerPost,
        writeTransactionsPerPost: s.writes.writeTransactionsPerPost,
      },
    ),
    target(
      '5',
      'primary statements per GET, API #2, #1 tokens',
      fmt.num(acrossProcesses, 4),
      `0 (<= ${ZERO})`,
      acrossProcesses <= ZERO,
      { primaryStatementsPerGet: acrossProcesses },
    ),
    target(
      '6',
      `scaling (a), ${s.scaling.map((p) => p.replicas).join('/')} replicas: req/s`,
      perReplicas((p) => fmt.int(p.phase.reqPerSec)),
      '(informative)',
      null,
      Object.fromEntries(s.scaling.map((p) => [`reqPerSec_${p.replicas}`, p.phase.reqPerSec])),
    ),
    target(
      '6',
      '  and primary statements per GET',
      perReplicas((p) => fmt.num(p.phase.cost.primary.statements, 2)),
      '0 with >= 1 replica',
      replicated.length > 0 && worstScaled <= ZERO,
      Object.fromEntries(
        s.scaling.map((p) => [
          `primaryStatementsPerGet_${p.replicas}`,
          p.phase.cost.primary.statements,
        ]),
      ),
    ),
  ];
}

/** The targets' table; `sections` (all but 7) add a note when section 1 shared the CPU. */
export function printTargets(targets: readonly Target[], sections?: Sections): void {
  const r = sections?.routedVsPrimary;
  const disturbed =
    r && [r.routed, r.primaryOnly].some((p) => (otherCores(p.cpu) ?? 0) > DISTURBED_CORES)
      ? [
          `1: (a) or (b) shared the CPU with other work; API CPU per request, (a)/(b): ${fmt.ratio(apiCpuRatio(r.routed, r.primaryOnly))}`,
        ]
      : [];
  console.log(
    renderTable({
      title: "Summary: the issue's targets",
      columns: ['#', 'measure', 'measured', 'target', 'met'],
      align: ['l', 'l', 'l', 'l', 'l'],
      rows: targets.map((t) => [t.id, t.measure, t.measured, t.target, metCell(t)]),
      notes: [
        ...disturbed,
        "the bench asserts section 7's targets only: it exits 1 if one is missed, 0 whatever else it measured",
      ],
    }),
  );
}

function metCell(t: Target): string {
  if (t.met === null) return t.target === '(informative)' ? '-' : 'n/a';
  return t.met ? 'yes' : 'NO';
}
