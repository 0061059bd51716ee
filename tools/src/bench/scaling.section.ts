import { availableParallelism } from 'node:os';
import { withApi } from './bench-api.launcher';
import type { BenchContext } from './bench.context';
import { CPU_LABEL, cpuCell, cpuMsPerRequest, disturbedNotes } from './cpu.probe';
import { measureOwnRideReads, type ReadPhase } from './own-ride-reads.phase';
import type { Rider } from './riders.fixture';
import { firstErrors, fmt, renderTable } from './table.printer';

export const SCALING_REPLICAS = [0, 1, 2, 5] as const;

export interface ScalingPoint {
  replicas: number;
  phase: ReadPhase;
}

/** Section 5: variant (a) with an API that knows the first 0, 1, 2 and 5 replicas. */
export async function scaling(
  ctx: BenchContext,
  riders: readonly Rider[],
): Promise<ScalingPoint[]> {
  const points: ScalingPoint[] = [];
  for (const replicas of SCALING_REPLICAS.filter((r) => r <= ctx.replicas.length)) {
    const phase = await withApi(ctx, { name: `api-${replicas}-replicas`, replicas }, (api) => {
      ctx.say(`${riders.length} connections, GET /rides/:id with the token, ${replicas} replicas`);
      return measureOwnRideReads(ctx, api, riders, true);
    });
    points.push({ replicas, phase });
  }
  const row = (label: string, cell: (p: ReadPhase) => string) => [
    label,
    ...points.map((p) => cell(p.phase)),
  ];
  console.log(
    renderTable({
      title: `5. Scaling: (a) GET /rides/:id with the token, by replicas the API routes to, ${riders.length} connections, ${ctx.settings.seconds} s each`,
      columns: ['', ...points.map((p) => `${p.replicas} replicas`)],
      rows: [
        row('req/s', (p) => fmt.num(p.reqPerSec)),
        row('p50 ms', (p) => fmt.num(p.p50Ms, 2)),
        row('p99 ms', (p) => fmt.num(p.p99Ms, 2)),
        row('replica share', (p) => fmt.pct(p.replicaShare)),
        row('primary statements / req', (p) => fmt.num(p.cost.primary.statements, 3)),
        row('primary round trips / req', (p) => fmt.num(p.cost.primary.roundTrips, 3)),
        row('errors', (p) => fmt.int(p.errors)),
        row(CPU_LABEL, (p) => cpuCell(p.cpu)),
        row('API CPU ms / req', (p) => fmt.num(cpuMsPerRequest(p.cpu.api, p.reqPerSec), 2)),
        row('Postgres CPU ms / req', (p) =>
          fmt.num(cpuMsPerRequest(p.cpu.postgres, p.reqPerSec), 2),
        ),
      ],
      notes: [
        `every node shares this machine's ${availableParallelism()} cores: more replicas add places to read, not CPU`,
        ...disturbedNotes(points.map((p) => p.phase.cpu)),
        ...firstErrors(points.map((p) => p.phase)),
      ],
    }),
  );
  return points;
}
