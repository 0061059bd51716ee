import { READ_BOUND_MS } from './chaos.settings';
import { latency, type Phase, type PhaseOutcome, type Snapshot } from './phase';

export interface PhaseRow {
  phase: Phase;
  delta: Snapshot;
  outcome: PhaseOutcome;
  /** The phase's read latencies, ms. */
  readMs: number[];
}

const say = (line: string) => console.log(`chaos | ${line}`);

export const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
export const fmt = (m: Map<string, number>) =>
  [...m]
    .sort()
    .map(([k, v]) => `${k}:${v}`)
    .join(',') || '-';

/** Errors the phase does not allow (every error, in a phase that allows none). */
export function unexpectedErrors(row: PhaseRow): Map<string, number> {
  const allowed = row.phase.allowedErrors;
  return new Map([...row.delta.errors].filter(([kind]) => !allowed?.test(kind)));
}

/** Phases that must check reads and checked none (see {@link Phase.mayCheckNoRead}). */
export function uncheckedPhases(rows: PhaseRow[]): PhaseRow[] {
  return rows.filter((r) => !r.phase.mayCheckNoRead && r.delta.checked === 0);
}

/** "ok", "OVER" (a read slower than READ_BOUND_MS where the bound applies) or "-" (not checked). */
export function boundCheck(row: PhaseRow): 'ok' | 'OVER' | '-' {
  if (!row.phase.readBound) return '-';
  return latency(row.readMs).max <= READ_BOUND_MS ? 'ok' : 'OVER';
}

export function printTable(rows: PhaseRow[]): void {
  say(
    `${'phase'.padEnd(40)} | writes | reads | checked | stale | read p99/max ms | <=${READ_BOUND_MS} | errors                     | reads by node`,
  );
  for (const row of rows) {
    const { delta } = row;
    const { p99, max } = latency(row.readMs);
    const ms = `${p99.toFixed(0)}/${max.toFixed(0)}`;
    say(
      `${row.phase.name.padEnd(40)} | ${String(delta.writes).padStart(6)} | ${String(delta.reads).padStart(5)} | ${String(delta.checked).padStart(7)} | ` +
        `${String(delta.stale).padStart(5)} | ${ms.padStart(15)} | ${boundCheck(row).padEnd(String(READ_BOUND_MS).length + 2)} | ` +
        `${fmt(delta.errors).padEnd(26)} | ${fmt(delta.byNode)}`,
    );
  }
  const notes = rows.filter((r) => r.outcome.note);
  if (notes.length > 0) say('');
  for (const row of notes) say(`${row.phase.name}: ${row.outcome.note}`);
}
