import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/** The part of a V8 CPU profile (`.cpuprofile`, `Profiler.Profile`) this summary reads. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

/** One function's self time in a profile: where the thread was when sampled. */
export interface SelfTime {
  /** `name (file:line)`, the file relative to the repository (1-based line of the emitted JS). */
  fn: string;
  /** Sampled time per read, µs. */
  usPerRead: number;
  /** Of every sample but `(idle)`. */
  share: number;
}

/** Where the samples fell, µs per read. */
export interface ProfileAreas {
  /** libs/replica-routing. */
  library: number;
  /** pg, pg-protocol, pg-pool, pg-types. */
  pg: number;
  /** Node's own JavaScript (`node:` URLs): streams, events, async hooks, buffers. */
  node: number;
  /** The socket write syscall: the thread's time in it, including while preempted. */
  writev: number;
  gc: number;
  /** The rest: `(program)`, running microtasks, other natives, the bench's own code. */
  other: number;
}

export interface ProfileSummary {
  reads: number;
  /** Sampled time per read, `(idle)` left out, µs. Wall-clock samples: preemption counts. */
  usPerRead: number;
  areas: ProfileAreas;
  /** The functions with the most self time, any file. */
  top: SelfTime[];
  /** The same, among the routing library's files only. */
  library: SelfTime[];
}

const LIBRARY = 'libs/replica-routing/';
const PG = /node_modules\/(pg|pg-protocol|pg-pool|pg-types)\//;

function areaOf(frame: { functionName: string; url: string }): keyof ProfileAreas {
  if (frame.url.includes(LIBRARY)) return 'library';
  if (PG.test(frame.url)) return 'pg';
  if (frame.url.startsWith('node:')) return 'node';
  if (!frame.url && frame.functionName === 'writev') return 'writev';
  if (!frame.url && frame.functionName === '(garbage collector)') return 'gc';
  return 'other';
}

/**
 * Self time per function of `profile`, a profile of `reads` reads: each
 * sample charged to the function on top of the stack, at the profile's mean
 * sampling interval (a sample's own time delta would charge a stall of the
 * sampler to whatever ran next). The `count` heaviest overall and within the
 * library; `root` is stripped from file URLs.
 */
export function summarizeProfile(
  profile: CpuProfile,
  reads: number,
  root: string,
  count = 5,
): ProfileSummary {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const samples = profile.samples ?? [];
  const perSampleUs =
    samples.length > 0 ? (profile.endTime - profile.startTime) / samples.length : 0;
  const perRead = (n: number) => (n * perSampleUs) / reads;
  const self = new Map<string, { n: number; library: boolean }>();
  const areas: ProfileAreas = { library: 0, pg: 0, node: 0, writev: 0, gc: 0, other: 0 };
  let busy = 0;
  for (const id of samples) {
    const frame = byNode.get(id);
    if (!frame || frame.functionName === '(idle)') continue;
    busy++;
    const area = areaOf(frame);
    areas[area]++;
    const file = frame.url.replace(`file://${root}/`, '').replace(`${root}/`, '');
    const key = file
      ? `${frame.functionName || '(anonymous)'} (${file}:${frame.lineNumber + 1})`
      : frame.functionName;
    const entry = self.get(key) ?? { n: 0, library: area === 'library' };
    entry.n++;
    self.set(key, entry);
  }
  const ranked = [...self.entries()]
    .map(([fn, { n, library }]) => ({ fn, n, library }))
    .sort((a, b) => b.n - a.n);
  const timed = ({ fn, n }: { fn: string; n: number }): SelfTime => ({
    fn,
    usPerRead: perRead(n),
    share: busy > 0 ? n / busy : 0,
  });
  return {
    reads,
    usPerRead: perRead(busy),
    areas: {
      library: perRead(areas.library),
      pg: perRead(areas.pg),
      node: perRead(areas.node),
      writev: perRead(areas.writev),
      gc: perRead(areas.gc),
      other: perRead(areas.other),
    },
    top: ranked.slice(0, count).map(timed),
    library: ranked
      .filter((r) => r.library)
      .slice(0, count)
      .map(timed),
  };
}

/**
 * Runs `fn` under V8's sampling CPU profiler (the one `node --cpu-prof`
 * uses, here around `fn` alone), writes `<dir>/<name>.cpuprofile` (open it in
 * Chrome DevTools) and returns the profile with `fn`'s result.
 */
export async function profiled<T>(
  dir: string,
  name: string,
  fn: () => Promise<T>,
): Promise<{ profile: CpuProfile; result: T }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    const result = await fn();
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    return { profile, result };
  } finally {
    session.disconnect();
  }
}
