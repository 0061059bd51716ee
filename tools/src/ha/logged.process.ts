import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnChild, type Child, type Owner } from '../process/child.process';
import { commandLine, isRunning } from '../process/process.probe';

export interface LaunchSpec {
  /** etcd, or the node's name. */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  /** Where the pid goes, so that `cluster:ha:stop` finds the process from another terminal. */
  pidFile: string;
  /** Every line of its output, appended. */
  logFile: string;
  owner: Owner | undefined;
  /** Each line of output, after it was written to `logFile`. */
  onLine: (line: string) => void;
  onExit: (code: number | null, signal: NodeJS.Signals | null) => void;
}

/**
 * Starts a process in its own process group, so that the terminal's Ctrl+C
 * reaches only the launcher, which then stops etcd after the Patroni nodes
 * (etcd first would leave Patroni retrying to release its leader key).
 * The environment is a minimal one: Patroni and etcd read PATRONI_* and
 * ETCD_* variables as settings (PATRONI_URLS, ETCD_PORT are ours, not theirs),
 * libpq reads PG*, and a PYTHONPATH meant for another python3 breaks Patroni.
 */
export function launch(spec: LaunchSpec): Child {
  const child = spawnChild({
    name: spec.name,
    command: spec.command,
    args: spec.args,
    cwd: spec.cwd,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C.UTF-8', HOME: spec.cwd },
    owner: spec.owner,
    logFile: spec.logFile,
    onLine: spec.onLine,
    onExit: spec.onExit,
  });
  if (child.pid !== undefined) writeFileSync(spec.pidFile, `${child.pid}\n`);
  return child;
}

/**
 * The pid in `pidFile` if that process still runs and its command line
 * contains `marker` (its data directory or configuration file), so that a
 * pid reused by an unrelated process is never signalled.
 */
export function runningPid(pidFile: string, marker: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isRunning(pid)) return undefined;
  return commandLine(pid)?.includes(marker) ? pid : undefined;
}
