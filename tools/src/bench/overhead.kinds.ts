import type { OverheadResult, OverheadVariant } from './overhead.main';
import { fmt } from './table.printer';

/** One kind of section 9's reads, against the bare pool of its run. */
export interface OverheadKind {
  label: string;
  variant: OverheadVariant;
  cpuRatio: number;
  /** Its p50 minus the bare pool's, ms; null for the bare pool itself. */
  p50DeltaMs: number | null;
}

/** Every kind of read of one run, the bare pool first, as 9b and 9c print them. */
export function overheadKinds(r: OverheadResult): OverheadKind[] {
  const against = (label: string, v: OverheadResult['floor']): OverheadKind => ({
    label,
    variant: v,
    cpuRatio: v.cpuRatio,
    p50DeltaMs: v.p50DeltaMs,
  });
  return [
    { label: 'bare pg.Pool', variant: r.bare, cpuRatio: 1, p50DeltaMs: null },
    against("bare, the library's pool settings", r.settings),
    against('the floor', r.floor),
    against('the floor with the cover', r.coveredFloor),
    against('routed, `cover: false`', r.uncovered),
    {
      label: 'routed (default)',
      variant: r.routed,
      cpuRatio: r.cpuRatio,
      p50DeltaMs: r.p50DeltaMs,
    },
  ];
}

/** A difference in ms with its sign (`+0.012`). */
export const signedMs = (x: number): string => `${x >= 0 ? '+' : ''}${fmt.num(x, 3)}`;

/** A kind's CPU µs per read, its ratio to the bare pool, and its p50 delta. */
export function kindCells(k: OverheadKind): string[] {
  return [
    fmt.num(k.variant.cpuUsPerRead),
    fmt.ratio(k.cpuRatio),
    k.p50DeltaMs === null ? '' : signedMs(k.p50DeltaMs),
  ];
}
