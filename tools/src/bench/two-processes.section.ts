import { launchApi, withApi } from './bench-api.launcher';
import type { BenchContext } from './bench.context';
import { disturbedNotes } from './cpu.probe';
import { measureOwnRideReads, readPhaseRows, type ReadPhase } from './own-ride-reads.phase';
import { createRiders } from './riders.fixture';
import { firstErrors, fmt, renderTable } from './table.printer';

export interface TwoProcesses {
  /** Variant (a) on API #2, with tokens API #1 issued. */
  second: ReadPhase;
}

/**
 * Section 4: two API processes with the same TOKEN_SECRET. Users and rides
 * are written through #1; #2 serves the reads with #1's tokens.
 */
export async function twoProcesses(ctx: BenchContext): Promise<TwoProcesses> {
  const n = ctx.settings.connections;
  const first = await launchApi(ctx, { name: 'api-1' });
  try {
    const riders = await createRiders(first.client, n, 'two-process');
    return await withApi(ctx, { name: 'api-2' }, async (second) => {
      ctx.say(`${n} connections: GET /rides/:id on api-2 with the tokens of api-1's writes`);
      const phase = await measureOwnRideReads(ctx, second, riders, true);
      console.log(
        renderTable({
          title: `4. Two API processes (same TOKEN_SECRET): rides written through #1, read through #2 with #1's tokens, ${n} connections, ${ctx.settings.seconds} s`,
          columns: ['', 'API #2, (a) with #1 tokens'],
          rows: readPhaseRows([phase]),
          notes: [
            `primary statements per GET on #2: ${fmt.num(phase.cost.primary.statements, 4)} (target 0)`,
            ...disturbedNotes([phase.cpu]),
            ...firstErrors([phase]),
          ],
        }),
      );
      return { second: phase };
    });
  } finally {
    await first.stop();
  }
}
