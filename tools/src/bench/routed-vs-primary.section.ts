import { withApi } from './bench-api.launcher';
import type { BenchContext } from './bench.context';
import {
  measureOwnRideReads,
  mergeReadPhases,
  readPhaseRows,
  type ReadPhase,
} from './own-ride-reads.phase';
import { createRiders, type Rider } from './riders.fixture';
import { cpuMsPerRequest, disturbedNotes } from './cpu.probe';
import { firstErrors, fmt, renderTable } from './table.printer';

export interface RoutedVsPrimary {
  /** (a) with the ride's Consistency-Token, default routing. */
  routed: ReadPhase;
  /** (b) the same requests, every read kept on the primary (PRIMARY_READ_SHARE=1). */
  primaryOnly: ReadPhase;
  /** (c) no token, default routing. */
  noToken: ReadPhase;
  /** (a)/(b) */
  reqPerSecRatio: number;
  /** (a)/(b) */
  p99Ratio: number;
}

/**
 * The order (a) and (b) take turns in, each for half a phase: a machine that
 * gets faster or slower during the section weighs on both alike (single runs
 * in a fixed order moved the (a)/(b) ratio by up to 25 % here).
 */
const TURNS = ['a', 'b', 'b', 'a'] as const;

/**
 * Section 1: GET /rides/:id of each connection's own ride, routed with its
 * token, kept on the primary, and without a token. (a) and (b) run on two API
 * processes up at once and take turns (a, b, b, a); (c) follows on (a)'s.
 * Returns the riders too: later sections read the same rides.
 */
export async function routedVsPrimary(
  ctx: BenchContext,
): Promise<{ result: RoutedVsPrimary; riders: Rider[] }> {
  const n = ctx.settings.connections;
  const half = ctx.settings.seconds / 2;
  const { riders, routed, primaryOnly, noToken } = await withApi(
    ctx,
    { name: 'api-routed' },
    async (routedApi) => {
      const riders = await createRiders(routedApi.client, n, 'reader');
      return withApi(
        ctx,
        { name: 'api-primary', settings: { PRIMARY_READ_SHARE: '1' } },
        async (primaryApi) => {
          const rounds: Record<'a' | 'b', ReadPhase[]> = { a: [], b: [] };
          for (const turn of TURNS) {
            ctx.say(
              turn === 'a'
                ? `(a) ${n} connections, GET /rides/:id with the ride's Consistency-Token, ${half} s`
                : `(b) ${n} connections, GET /rides/:id with the token, every read on the primary, ${half} s`,
            );
            const api = turn === 'a' ? routedApi : primaryApi;
            rounds[turn].push(await measureOwnRideReads(ctx, api, riders, true, half));
          }
          ctx.say(`(c) ${n} connections, GET /rides/:id without a token`);
          const noToken = mergeReadPhases([
            await measureOwnRideReads(ctx, routedApi, riders, false),
          ]);
          return {
            riders,
            routed: mergeReadPhases(rounds.a),
            primaryOnly: mergeReadPhases(rounds.b),
            noToken,
          };
        },
      );
    },
  );
  const result = {
    routed,
    primaryOnly,
    noToken,
    reqPerSecRatio: routed.reqPerSec / primaryOnly.reqPerSec,
    p99Ratio: routed.p99Ms / primaryOnly.p99Ms,
  };
  console.log(
    renderTable({
      title: `1. Routed vs primary: GET /rides/:id of the caller's own ride, ${n} connections, ${ctx.settings.seconds} s each`,
      columns: ['', '(a) token, routed', '(b) token, primary only', '(c) no token, routed'],
      rows: readPhaseRows([routed, primaryOnly, noToken]),
      notes: [
        `(a)/(b): req/s ${fmt.ratio(result.reqPerSecRatio)}, p99 ${fmt.ratio(result.p99Ratio)}, ` +
          `API CPU per request ${fmt.ratio(apiCpuRatio(routed, primaryOnly))}`,
        'statements = routed statements (GET /replicas `queries.routed`); n/a = not reported by this API',
        ...disturbedNotes([routed.cpu, primaryOnly.cpu, noToken.cpu]),
        ...firstErrors([routed, primaryOnly, noToken]),
      ],
    }),
  );
  return { result, riders };
}

/** (a)/(b) of the API's CPU per request: what req/s would say on a machine of its own. */
export function apiCpuRatio(a: ReadPhase, b: ReadPhase): number | null {
  const x = cpuMsPerRequest(a.cpu.api, a.reqPerSec);
  const y = cpuMsPerRequest(b.cpu.api, b.reqPerSec);
  return x === null || y === null ? null : x / y;
}
