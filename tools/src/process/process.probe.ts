import { readFileSync, readdirSync } from 'node:fs';

/**
 * What /proc says about a process. Postmasters started by Patroni are
 * orphans (Patroni detaches them, as pg_ctl does) and PID 1 may reap them
 * late, so a process that exited can linger as a zombie that `kill -0` still
 * finds: here a zombie counts as gone.
 */
export function isRunning(pid: number): boolean {
  const state = statOf(pid)?.state;
  if (state === undefined) return process.platform === 'linux' ? false : isAlive(pid);
  return !gone(state);
}

/** True while `kill -0` finds the process (a zombie counts; EPERM: it exists, as another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
  return processes()
    .filter((p) => p.ppid === pid)
    .map((p) => p.pid);
}

/**
 * True while a process of group `pgid` runs (zombies do not count): the
 * group's leader may have exited and left a child behind.
 */
export function groupRunning(pgid: number): boolean {
  if (process.platform !== 'linux') return isAlive(-pgid);
  return processes().some((p) => p.pgrp === pgid && !gone(p.state));
}

/**
 * Sends a signal to `pid`, or with `group` to its process group (whose
 * leader it is); false if none of them is left.
 */
export function signal(pid: number, sig: NodeJS.Signals, group = false): boolean {
  try {
    process.kill(group ? -pid : pid, sig);
    return true;
  } catch {
    return false;
  }
}

export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** Its process group. */
  pgrp: number;
  /** R, S, D, Z (zombie), ... */
  state: string;
}

/** Every process in /proc now (empty where there is no /proc). */
export function processes(): ProcessEntry[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: ProcessEntry[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(Number(entry));
    if (stat) found.push({ pid: Number(entry), ...stat });
  }
  return found;
}

const gone = (state: string) => state === 'Z' || state === 'X';

function statOf(pid: number): Omit<ProcessEntry, 'pid'> | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
    const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return state === undefined ? undefined : { state, ppid: Number(ppid), pgrp: Number(pgrp) };
  } catch {
    return undefined; // exited meanwhile
  }
}
