import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { commandLine, isRunning, signal } from './process.probe';
import { waitUntil } from './wait-until';

/** The account a process runs as (Postgres, and so Patroni, refuse root). */
export interface Owner {
  uid: number;
  gid: number;
}

export interface LaunchSpec {
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
export function launch(spec: LaunchSpec): ChildProcess {
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C.UTF-8', HOME: spec.cwd },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...(spec.owner ?? {}),
  });
  if (child.pid !== undefined) writeFileSync(spec.pidFile, `${child.pid}\n`);
  const out = createWriteStream(spec.logFile, { flags: 'a' });
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      if (!out.writableEnded) out.write(`${line}\n`);
      spec.onLine(line);
    });
  }
  child.on('exit', (code, sig) => spec.onExit(code, sig));
  // After 'exit' its output may still be draining (an orphaned postmaster holds the pipe):
  // close the file once the pipes have.
  child.on('close', () => out.end());
  child.on('error', (error) => spec.onLine(`could not start ${spec.command}: ${error.message}`));
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

/** SIGTERM, then SIGKILL if it still runs after `timeoutMs`; resolves once it is gone. */
export async function terminate(pid: number, timeoutMs: number): Promise<'stopped' | 'killed'> {
  if (!signal(pid, 'SIGTERM')) return 'stopped';
  try {
    await waitUntil(() => !isRunning(pid), timeoutMs, `pid ${pid} to exit`);
    return 'stopped';
  } catch {
    signal(pid, 'SIGKILL');
    await waitUntil(() => !isRunning(pid), 5_000, `pid ${pid} to die after SIGKILL`);
    return 'killed';
  }
}
