import type { OverheadResult } from './overhead.main';
import { kindCells, overheadKinds } from './overhead.kinds';
import { renderTable } from './table.printer';

/** How Node carries AsyncLocalStorage's context across promises. */
export type ContextCarrier = 'promise hooks' | 'AsyncContextFrame';

/** How a child Node process carries it by default, and the flag that makes it carry it the other way. */
export interface ContextFlip {
  asRun: ContextCarrier;
  other: ContextCarrier;
  flag: string;
}

/**
 * On Node 22 AsyncLocalStorage runs on promise hooks: once a store exists,
 * every promise in the process pays a hook when it is made and settled, and a
 * routed read makes about five times the promises of a bare one. From Node 24
 * it runs on AsyncContextFrame, which costs a promise nothing; Node 22.7 and
 * 23 have that behind `--experimental-async-context-frame`. Null before
 * 22.7: no other way to run it.
 */
export function contextFlip(version = process.versions.node): ContextFlip | null {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major >= 24)
    return { asRun: 'AsyncContextFrame', other: 'promise hooks', flag: '--no-async-context-frame' };
  if (major > 22 || (major === 22 && minor >= 7))
    return {
      asRun: 'promise hooks',
      other: 'AsyncContextFrame',
      flag: '--experimental-async-context-frame',
    };
  return null;
}

/** Section 9c: every kind's CPU per read and p50, as Node runs by default and flipped. */
export function printContextCarriers(
  flip: ContextFlip,
  asRun: OverheadResult,
  other: OverheadResult,
): void {
  const asRunKinds = overheadKinds(asRun);
  const otherKinds = overheadKinds(other);
  const errors = otherKinds.flatMap(({ variant: v }) =>
    v.firstError ? [`first error (${flip.other}): ${v.firstError}`] : [],
  );
  console.log(
    renderTable({
      title:
        `9c. The same rounds with AsyncLocalStorage on ${flip.asRun} (as Node ${process.versions.node} ` +
        `runs it) and on ${flip.other} (\`${flip.flag}\`, in a second child process): CPU µs ` +
        'per read, its ratio to the bare pool, p50 minus the bare p50 (ms)',
      columns: ['', flip.asRun, 'vs bare', 'p50', flip.other, 'vs bare', 'p50'],
      rows: asRunKinds.map((k, i) => [k.label, ...kindCells(k), ...kindCells(otherKinds[i]!)]),
      notes: errors,
    }),
  );
}
