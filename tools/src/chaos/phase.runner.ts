import type { SimulationStats } from '../stack/simulator.starter';
import type { PhaseRow } from './chaos.report';
import { diff, snapshot, type Phase } from './phase';

/**
 * Runs the phases one after the other under the simulator's load and returns
 * what each saw: the simulator's counters over the phase, its outcome, and
 * its reads' latencies. Notes and problems are printed as they come.
 */
export async function runPhases(
  phases: readonly Phase[],
  live: () => SimulationStats | undefined,
  say: (line: string) => void,
): Promise<PhaseRow[]> {
  const rows: PhaseRow[] = [];
  for (const phase of phases) {
    say(`phase: ${phase.name}`);
    const before = snapshot(live());
    const outcome = (await phase.run()) ?? {};
    const delta = diff(snapshot(live()), before);
    rows.push({ phase, delta, outcome, readMs: live()?.readMs.slice(before.readIndex) ?? [] });
    if (outcome.note) say(`  ${outcome.note}`);
    for (const problem of outcome.problems ?? []) say(`  PROBLEM: ${problem}`);
  }
  return rows;
}
