import type { SimulationStats } from '../stack/simulator.starter';
import type { PhaseRow } from './chaos.report';
import { diff, snapshot, type Phase, type Snapshot } from './phase';

/**
 * Runs the phases one after the other under the simulator's load and returns
 * what each saw: the simulator's counters over the phase, its outcome, and
 * its reads' latencies; and, first, a row for what came before the first
 * phase (the simulator's start), judged as that phase is. Notes and problems
 * are printed as they come. `end`: the counters when the last phase ended
 * (see {@link rowAfter}).
 */
export async function runPhases(
  phases: readonly Phase[],
  live: () => SimulationStats | undefined,
  say: (line: string) => void,
): Promise<{ rows: PhaseRow[]; end: Snapshot }> {
  let last = snapshot(live());
  const rows: PhaseRow[] = [
    edgeRow('(before the first phase)', phases[0], last, snapshot(undefined)),
  ];
  for (const phase of phases) {
    say(`phase: ${phase.name}`);
    const before = last;
    const outcome = (await phase.run()) ?? {};
    last = snapshot(live());
    const delta = diff(last, before);
    rows.push({ phase, delta, outcome, readMs: live()?.readMs.slice(before.readIndex) ?? [] });
    if (outcome.note) say(`  ${outcome.note}`);
    for (const problem of outcome.problems ?? []) say(`  PROBLEM: ${problem}`);
  }
  return { rows, end: last };
}

/**
 * What the simulator did after the last phase ended (`end`) until it
 * stopped (`final`: the requests under way then, and the reads its users
 * still make): judged as that phase is, so that no answer goes unjudged.
 */
export function rowAfter(
  phases: readonly Phase[],
  end: Snapshot,
  final: SimulationStats,
): PhaseRow {
  return edgeRow('(after the last phase)', phases.at(-1), snapshot(final), end);
}

function edgeRow(
  name: string,
  like: Phase | undefined,
  after: Snapshot,
  before: Snapshot,
): PhaseRow {
  const phase: Phase = {
    name,
    allowedErrors: like?.allowedErrors,
    readBound: false,
    // Moments long: the simulator's start, or the answers under way at its stop.
    mayCheckNoRead: true,
    run: () => Promise.resolve(),
  };
  return { phase, delta: diff(after, before), outcome: {}, readMs: [] };
}
