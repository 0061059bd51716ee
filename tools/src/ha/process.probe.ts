import { readFileSync, readdirSync } from 'node:fs';
import { isAlive } from '../cluster/cluster.lock';

/**
 * What /proc says about a process. Postmasters started by Patroni are
 * orphans (Patroni detaches them, as pg_ctl does) and PID 1 may reap them
 * late, so a process that exited can linger as a zombie that `kill -0` still
 * finds: here a zombie counts as gone.
 */
export function isRunning(pid: number): boolean {
  const state = statOf(pid)?.state;
  if (state === undefined) return process.platform === 'linux' ? false : isAlive(pid);
  return state !== 'Z' && state !== 'X';
}

/** True while the pid still has an entry in /proc, reaped or not (a zombie counts). */
export function hasEntry(pid: number): boolean {
  return statOf(pid) !== undefined;
}

/** The process's command line with spaces between the arguments, or undefined if it is gone. */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/** The pids whose parent is `pid` (a postmaster's backends and helpers). */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (statOf(Number(entry))?.ppid === pid) children.push(Number(entry));
  }
  return children;
}

/** Sends a signal; false if the process is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

function statOf(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return state === undefined ? undefined : { state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}
