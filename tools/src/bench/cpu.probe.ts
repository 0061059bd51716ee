import { readFileSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Linux reports process and machine times in clock ticks of 1/100 s (`getconf CLK_TCK`). */
const TICK_MS = 10;

/** Where the CPU went during a phase, in cores (1 = one core busy all along); null off Linux. */
export interface CpuUse {
  /** The API process under test. */
  api: number | null;
  /** This process: the load generator (and the observer, which runs here too). */
  client: number;
  /** The cluster's Postgres servers and their backends. */
  postgres: number | null;
  /** Every process of the machine: what the others leave is someone else's. */
  machine: number | null;
}

/** Whose CPU to follow: the API process and the cluster's postmasters. */
export interface CpuSubjects {
  apiPid: number;
  postmasters: () => number[];
}

interface CpuMark {
  at: number;
  api: number | null;
  client: NodeJS.CpuUsage;
  postgres: Map<number, number> | null;
  machine: number | null;
}

/** Marks CPU times now; {@link cpuSince} turns two marks into {@link CpuUse}. */
export function cpuMark(subjects: CpuSubjects): CpuMark {
  return {
    at: performance.now(),
    api: processMs(subjects.apiPid),
    client: process.cpuUsage(),
    postgres: familyMs(subjects.postmasters()),
    machine: machineBusyMs(),
  };
}

export function cpuSince(start: CpuMark, subjects: CpuSubjects): CpuUse {
  const end = cpuMark(subjects);
  const wall = end.at - start.at;
  const cores = (a: number | null, b: number | null) =>
    a === null || b === null ? null : (b - a) / wall;
  const client = process.cpuUsage(start.client);
  let postgres: number | null = null;
  if (start.postgres && end.postgres) {
    // Backends born during the phase count from 0; those gone by its end are lost (short-lived ones).
    let ms = 0;
    for (const [pid, used] of end.postgres) ms += used - (start.postgres.get(pid) ?? 0);
    postgres = ms / wall;
  }
  return {
    api: cores(start.api, end.api),
    client: (client.user + client.system) / 1000 / wall,
    postgres,
    machine: cores(start.machine, end.machine),
  };
}

/** Cores the rest of the machine used: work that competed with the phase. */
export function otherCores(cpu: CpuUse): number | null {
  return cpu.machine === null || cpu.api === null || cpu.postgres === null
    ? null
    : Math.max(0, cpu.machine - cpu.api - cpu.postgres - cpu.client);
}

/** `api / postgres / load generator / other`, in cores. */
export function cpuCell(cpu: CpuUse): string {
  const n = (x: number | null) => (x === null ? 'n/a' : x.toFixed(2));
  return `${n(cpu.api)} / ${n(cpu.postgres)} / ${n(cpu.client)} / ${n(otherCores(cpu))}`;
}

/** Above this many cores of other work, a phase's req/s and latencies say little. */
export const DISTURBED_CORES = 0.25;

/** A note per phase (column) that competed with other work for the CPU. */
export function disturbedNotes(cpus: readonly CpuUse[]): string[] {
  return cpus.flatMap((cpu, i) => {
    const other = otherCores(cpu);
    return other !== null && other > DISTURBED_CORES
      ? [
          `column ${i + 1} shared the CPU with other work (${other.toFixed(2)} cores): compare CPU ms / req, not req/s`,
        ]
      : [];
  });
}

export const CPU_LABEL = 'CPU cores: API / Postgres / load gen. / other';

/** CPU milliseconds a request cost, from cores used and requests per second. */
export function cpuMsPerRequest(cores: number | null, perSecond: number): number | null {
  return cores === null || perSecond <= 0 ? null : (cores * 1000) / perSecond;
}

/** utime + stime and the parent of a process, from /proc/<pid>/stat; null if gone or not Linux. */
function stat(pid: number | string): { ms: number; ppid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name, field 2, may hold spaces: count the fields after its closing parenthesis.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS, ppid: Number(fields[1]) };
  } catch {
    return null;
  }
}

/** CPU milliseconds so far of `roots` and their children together (HAProxy, say); null off Linux. */
export function treeMs(roots: number[]): number | null {
  const family = familyMs(roots);
  return family === null ? null : [...family.values()].reduce((sum, ms) => sum + ms, 0);
}

function processMs(pid: number): number | null {
  return stat(pid)?.ms ?? null;
}

/** CPU time of each of `roots` and of each of their children (Postgres backends), by pid. */
function familyMs(roots: number[]): Map<number, number> | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const wanted = new Set(roots);
  const family = new Map<number, number>();
  for (const pid of pids) {
    const s = stat(pid);
    if (s && (wanted.has(Number(pid)) || wanted.has(s.ppid))) family.set(Number(pid), s.ms);
  }
  return family;
}

/** Busy time of every CPU together (user, nice, system, irq, softirq), from /proc/stat. */
function machineBusyMs(): number | null {
  try {
    const [label, ...ticks] = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/);
    if (label !== 'cpu') return null;
    const [user, nice, system, , , irq, softirq] = ticks.map(Number);
    return [user, nice, system, irq, softirq].reduce((s: number, v) => s + (v ?? 0), 0) * TICK_MS;
  } catch {
    return null;
  }
}
