import { performance } from 'node:perf_hooks';
import { cpuMark, cpuSince, type CpuSubjects, type CpuUse } from './cpu.probe';

export interface LoadShape {
  /** Workers, each with exactly one request (or request sequence) in flight. */
  connections: number;
  durationMs: number;
  /** Bound on steps in all, whatever the duration. */
  maxSteps: number;
}

export interface LoadRun<S> {
  samples: S[];
  /** From the first step's start to the last one's end (the drain included). */
  elapsedMs: number;
}

/**
 * Runs `step` in `connections` loops at once until `durationMs` has passed
 * or `maxSteps` have started; a step in flight at the deadline finishes and
 * counts. `step` must not throw (return an error sample instead).
 */
export async function runLoad<S>(
  shape: LoadShape,
  step: (worker: number) => Promise<S>,
): Promise<LoadRun<S>> {
  const samples: S[] = [];
  const started = performance.now();
  const deadline = started + shape.durationMs;
  let steps = 0;
  const worker = async (w: number) => {
    while (performance.now() < deadline && steps < shape.maxSteps) {
      steps++;
      samples.push(await step(w));
    }
  };
  await Promise.all(Array.from({ length: shape.connections }, (_, w) => worker(w)));
  return { samples, elapsedMs: performance.now() - started };
}

export interface MeasuredRun<S> extends LoadRun<S> {
  /** CPU use during the measured run. */
  cpu: CpuUse;
  /** The warm-up's samples: not measured, still there to check (a stale read in it counts). */
  warmupSamples: S[];
}

/**
 * A warm-up of `warmupMs` (same steps, not counted), then `between()` (a
 * counter snapshot: nothing is in flight then), then the measured run, with
 * the CPU use of the API process, the cluster, this process and the machine.
 */
export async function warmThenMeasure<S>(
  shape: LoadShape & { warmupMs: number },
  step: (worker: number) => Promise<S>,
  options: { cpu: CpuSubjects; between?: () => Promise<void> },
): Promise<MeasuredRun<S>> {
  const warmup = await runLoad({ ...shape, durationMs: shape.warmupMs }, step);
  await options.between?.();
  const mark = cpuMark(options.cpu);
  const run = await runLoad(shape, step);
  return { ...run, cpu: cpuSince(mark, options.cpu), warmupSamples: warmup.samples };
}
