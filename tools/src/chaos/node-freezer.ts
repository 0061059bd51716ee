import { processes, signal } from '../process/process.probe';

/** Every pid the chaos run has SIGSTOPped and not yet continued: what `thawAll` resumes. */
const frozen = new Set<number>();

/** `pid` and all its descendants, parents first (from each process's ppid in /proc/<pid>/stat). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of processes()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const tree: number[] = [];
  const visit = (p: number) => {
    tree.push(p);
    for (const child of children.get(p) ?? []) visit(child);
  };
  visit(pid);
  return tree;
}

/**
 * Freezes a node like a hung machine: SIGSTOP to its postmaster first (so it
 * forks nothing new), then to every descendant (backends, walsender or
 * walreceiver, checkpointer...). Returns `thaw`, which SIGCONTs the same tree.
 * Call `thaw` in a `finally`; `thawAll` covers a crash or Ctrl+C.
 */
export function freezeProcessTree(postmaster: number): { pids: number; thaw: () => void } {
  const stopped: number[] = [];
  for (const pid of processTree(postmaster)) {
    frozen.add(pid);
    if (signal(pid, 'SIGSTOP')) stopped.push(pid);
    else frozen.delete(pid);
  }
  // A child forked between the scan and the postmaster's stop: catch it too.
  for (const pid of processTree(postmaster)) {
    if (frozen.has(pid)) continue;
    frozen.add(pid);
    if (signal(pid, 'SIGSTOP')) stopped.push(pid);
  }
  const thaw = () => {
    for (const pid of [...stopped].reverse()) {
      signal(pid, 'SIGCONT');
      frozen.delete(pid);
    }
  };
  return { pids: stopped.length, thaw };
}

/** SIGCONT to everything still frozen (synchronous: safe in an 'exit' handler). */
export function thawAll(): number {
  const count = frozen.size;
  for (const pid of frozen) signal(pid, 'SIGCONT');
  frozen.clear();
  return count;
}

/**
 * Continues every frozen node when the process ends, however it ends (Ctrl+C,
 * SIGTERM, a crash); on a signal, `cleanup` (stopping the cluster, say) runs
 * before the exit, for at most 10 s.
 */
export function thawOnExit(cleanup: () => Promise<void> = () => Promise.resolve()): void {
  process.once('exit', () => thawAll());
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(name, () => {
      const count = thawAll();
      console.error(`chaos | ${name}: continued ${count} frozen process(es); cleaning up`);
      const exit = () => process.exit(130);
      setTimeout(exit, 10_000).unref();
      cleanup().then(exit, exit);
    });
  }
}
