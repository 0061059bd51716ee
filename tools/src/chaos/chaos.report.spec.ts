import { uncheckedPhases, type PhaseRow } from './chaos.report';
import { diff, snapshot, type Phase } from './phase';
import { rowAfter } from './phase.runner';
import type { SimulationStats } from '../stack/simulator.starter';

const stats = (reads: number, checked: number) =>
  ({
    reads,
    checked,
    acknowledged: [],
    readMs: [],
    errors: new Map(),
    readsByNode: new Map(),
  }) as unknown as SimulationStats;

const phase = (name: string): Phase => ({ name, readBound: false, run: () => Promise.resolve() });

const row = (name: string, before: SimulationStats, after: SimulationStats): PhaseRow => ({
  phase: phase(name),
  delta: diff(snapshot(after), snapshot(before)),
  outcome: {},
  readMs: [],
});

describe('uncheckedPhases', () => {
  it('names a phase whose reads all failed (none judged), not one with a judged read', () => {
    const rows = [
      row('primary killed', stats(10, 4), stats(30, 4)),
      row('replica stopped', stats(30, 4), stats(40, 5)),
    ];
    expect(uncheckedPhases(rows).map((r) => r.phase.name)).toEqual(['primary killed']);
  });

  it('lets the row after the last phase (moments long) check none', () => {
    const end = snapshot(stats(40, 5));
    expect(uncheckedPhases([rowAfter([phase('last')], end, stats(41, 5))])).toEqual([]);
  });
});
