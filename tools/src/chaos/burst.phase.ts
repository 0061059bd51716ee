import { resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { runForResult } from '../process/result.process';
import { BURST, FULL_RUN } from './chaos.settings';
import { BURST_DISTANCE, type StageResult } from './burst.stage';
import { AFTER_DISTANCE, RESULT_PREFIX, type BurstResult } from './burst.main';
import type { Phase } from './phase';

const fmtStatuses = (s: StageResult) =>
  `connected in ${s.connectMs} ms; ` +
  Object.entries(s.statuses)
    .map(([status, n]) => `${status === '0' ? 'no answer' : status}:${n}`)
    .join(',') +
  `; ms p50/p99: 201 ${s.ms201.p50}/${s.ms201.p99}, others ${s.msOther.p50}/${s.msOther.p99}`;

/**
 * Overload, loopback only: POST /rides from `baseConnections` connections, then
 * from `burstConnections`, each for `stageMs` (the connections are opened
 * first; clients wait as long as a refusal's Retry-After asks, see
 * burst.stage.ts); then `writesAfter` writes. Every
 * answer must be a 201 or a 503/429 with Retry-After (no answer is a failure),
 * every write after the burst a 201 (enforced in every run); the burst's 201/s
 * must reach `minRatio` of the base's (in a full run; a short run prints it).
 * `acknowledged` is given every ride a 201 created, for the run's lost-write
 * check.
 */
export function burstPhase(
  apiUrl: () => string,
  onChild: (stop: () => void) => void,
  acknowledged: (rides: { id: number; distance: number; userId: number }[]) => void,
): Phase {
  return {
    name: `burst: ${BURST.baseConnections}, then ${BURST.burstConnections} connections`,
    // A short (CI) run allows the simulator's own requests to time out during the burst: on a
    // 2-core machine the generator, the API and six servers share the CPU.
    allowedErrors: FULL_RUN
      ? /^(write|read|list|rotate|revoked)_(503|429)$/
      : /^(write|read|list|rotate|revoked)_(503|429|network)$/,
    readBound: false,
    run: async () => {
      // The API runs in this process: its event loop's delay shows how busy it was.
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      // The generator in a process of its own, with a raised file-descriptor limit.
      const { base, burst, after } = await runForResult<BurstResult>({
        name: 'burst',
        entry: resolve(__dirname, 'burst.main.ts'),
        env: { BURST_CONFIG: JSON.stringify({ apiUrl: apiUrl(), ...BURST }) },
        resultPrefix: RESULT_PREFIX,
        onChild,
      }).finally(() => loop.disable());
      acknowledged([
        ...[...base.rides, ...burst.rides].map((r) => ({ ...r, distance: BURST_DISTANCE })),
        ...after.rides.map((r) => ({ ...r, distance: AFTER_DISTANCE })),
      ]);
      const lag = `API event-loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms, max ${(loop.max / 1e6).toFixed(0)} ms`;
      const ratio = base.createdPerSecond > 0 ? burst.createdPerSecond / base.createdPerSecond : 0;
      const problems: string[] = [];
      for (const stage of [base, burst]) {
        if (stage.bad > 0)
          problems.push(
            `${stage.bad} answers to ${stage.connections} connections were neither 201 nor 503/429 with Retry-After: ` +
              `${Object.entries(stage.badKinds)
                .map(([k, n]) => `${k}: ${n}`)
                .join('; ')}; e.g. ${stage.badSamples.slice(0, 2).join(' | ')}`,
          );
      }
      if (after.failures.length > 0)
        problems.push(
          `${after.failures.length}/${after.sent} writes right after the burst failed, e.g. ${after.failures.slice(0, 3).join(' | ')}`,
        );
      const ratioText = `ratio ${ratio.toFixed(2)} (target >= ${BURST.minRatio}${FULL_RUN ? '' : ', not enforced in a short run'})`;
      if (FULL_RUN && ratio < BURST.minRatio) problems.push(`burst 201/s ${ratioText}`);
      const note =
        `201/s with ${base.connections} connections ${base.createdPerSecond.toFixed(0)} [${fmtStatuses(base)}], ` +
        `with ${burst.connections} ${burst.createdPerSecond.toFixed(0)} [${fmtStatuses(burst)}]: ${ratioText}; ` +
        `writes right after: ${after.created}/${after.sent} created; ${lag}`;
      return { note, problems };
    },
  };
}
