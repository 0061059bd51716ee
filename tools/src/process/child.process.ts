import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { groupRunning, isRunning, signal } from './process.probe';
import { waitUntil } from './wait';

/** The account a child runs as (Postgres, and so Patroni, refuse root). */
export interface Owner {
  uid: number;
  gid: number;
}

export type OutputStream = 'stdout' | 'stderr';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildSpec {
  /** Put in front of its printed lines (`<name> | ...`) and named in errors. */
  name: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  /** Its whole environment; default: this process's. */
  env?: NodeJS.ProcessEnv;
  owner?: Owner;
  /**
   * true (default): it leads a process group of its own (detached), so that a
   * stop reaches what it spawned and a terminal's Ctrl+C reaches only this
   * process, which stops it. false: it stays in this process's group, and a
   * terminal's Ctrl+C reaches it directly too (a server a test suite starts).
   */
  ownGroup?: boolean;
  /**
   * 'lines' (default): each line of its stdout and stderr is appended to
   * `logFile`, printed (`print`) and passed to `onLine`, in that order.
   * 'file': its stdout and stderr are `logFile` itself, so that it may outlive
   * this process. 'ignore': no output (it writes a log of its own).
   */
  output?: 'lines' | 'file' | 'ignore';
  logFile?: string;
  /** Print each line as `<name> | <line>`, the name padded to `width`, on `to` (default: stdout). */
  print?: { width?: number; to?: { write(text: string): unknown } };
  onLine?: (line: string, stream: OutputStream) => void;
  /** Told once it has exited, or could not be started (then `code` is negative). */
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  /** An IPC channel, as `fork` gives: a Node child can tell when this process goes away. */
  ipc?: boolean;
}

export interface StopOptions {
  /** The first signal; default SIGTERM. `null`: it was sent already, only wait (and kill). */
  signal?: NodeJS.Signals | null;
  /** How long it is given before SIGKILL; default 15 s. */
  timeoutMs?: number;
  /**
   * Whether the first signal goes to its whole process group (default) or to
   * it alone, which then stops its own children (a cluster launcher). Either
   * way, what is left of a group it leads is waited for and killed with it.
   */
  group?: boolean;
}

/** How a stop went: it exited on the first signal, needed SIGKILL, or was gone already. */
export type StopOutcome = 'stopped' | 'killed' | 'gone';

const DEFAULT_STOP_MS = 15_000;
const AFTER_KILL_MS = 5_000;

/** `<name> | <line>`, the name padded to `width`: how a launcher shows its children's lines. */
export function prefixed(name: string, line: string, width = 0): string {
  return `${name.padEnd(width)} | ${line}`;
}

/**
 * Starts a long-running child: see `ChildSpec` for its process group and
 * output. Never throws for a command that cannot be started: that is a line
 * (`could not start <command>: ...`) and an exit.
 */
export function spawnChild(spec: ChildSpec): Child {
  const ownGroup = spec.ownGroup ?? true;
  const output = spec.output ?? 'lines';
  if (output === 'file' && !spec.logFile)
    throw new Error(`${spec.name}: output 'file' needs a logFile`);
  const fd = output === 'file' ? openSync(spec.logFile!, 'a') : undefined;
  const out = output === 'lines' ? 'pipe' : (fd ?? 'ignore');
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    stdio: ['ignore', out, out, ...(spec.ipc ? (['ipc'] as const) : [])],
    detached: ownGroup,
    ...(spec.owner ?? {}),
  });
  if (fd !== undefined) closeSync(fd);
  return new Child(spec, child, ownGroup);
}

/** A child started by `spawnChild`. */
export class Child {
  readonly name: string;
  /** Resolves once it has exited, or could not be started. */
  readonly exited: Promise<ExitStatus>;
  /** Resolves once it has exited and the last of its output has been read. */
  readonly closed: Promise<ExitStatus>;
  private status: ExitStatus | undefined;
  private stopping: Promise<StopOutcome> | undefined;

  constructor(
    spec: ChildSpec,
    private readonly child: ChildProcess,
    private readonly ownGroup: boolean,
  ) {
    this.name = spec.name;
    const log =
      (spec.output ?? 'lines') === 'lines' && spec.logFile
        ? createWriteStream(spec.logFile, { flags: 'a' })
        : undefined;
    const emit = (line: string, stream: OutputStream) => {
      if (log && !log.writableEnded) log.write(`${line}\n`);
      if (spec.print)
        (spec.print.to ?? process.stdout).write(`${prefixed(spec.name, line, spec.print.width)}\n`);
      spec.onLine?.(line, stream);
    };
    for (const [stream, from] of [
      [child.stdout, 'stdout'],
      [child.stderr, 'stderr'],
    ] as const) {
      if (stream) createInterface({ input: stream }).on('line', (line) => emit(line, from));
    }
    let exited!: (status: ExitStatus) => void;
    this.exited = new Promise((resolve) => (exited = resolve));
    const onExit = (status: ExitStatus) => {
      if (this.status) return;
      this.status = status;
      spec.onExit?.(status.code, status.signal);
      exited(status);
    };
    child.on('exit', (code, sig) => onExit({ code, signal: sig }));
    child.on('error', (error) => {
      if (child.pid !== undefined) return emit(`${spec.command}: ${error.message}`, 'stderr');
      emit(`could not start ${spec.command}: ${error.message}`, 'stderr');
      onExit({ code: child.exitCode, signal: null });
    });
    // After 'exit' its output may still be draining (a grandchild holds the pipe): close the file once the pipes have.
    this.closed = new Promise<void>((resolve) =>
      child.on('close', () => (log ? log.end(resolve) : resolve())),
    ).then(() => this.exited);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** False once it has exited (what it spawned may still run: `stop` waits for them too). */
  get running(): boolean {
    return this.status === undefined;
  }

  /** How it exited, once it has. */
  get exitStatus(): ExitStatus | undefined {
    return this.status;
  }

  /** Sends a signal to it (`group`: to its process group); false once it has exited. */
  signal(sig: NodeJS.Signals, group = false): boolean {
    const pid = this.child.pid;
    if (pid === undefined || !this.running) return false;
    return signal(pid, sig, group && this.ownGroup);
  }

  /**
   * SIGTERM (see `StopOptions`), then SIGKILL to what is left after
   * `timeoutMs`; resolves once it has exited and, if it leads a group, every
   * process of that group has too. Safe to call again: a second call waits
   * for the first stop (a second with SIGKILL sends it at once).
   */
  stop(options: StopOptions = {}): Promise<StopOutcome> {
    const pid = this.child.pid;
    if (this.stopping) {
      if (options.signal === 'SIGKILL' && pid !== undefined && (this.running || this.ownGroup))
        signal(pid, 'SIGKILL', this.ownGroup);
      return this.stopping;
    }
    if (pid === undefined || this.gone()) return Promise.resolve('gone');
    this.stopping = (async () => {
      const outcome = await stopProcess(pid, {
        ...options,
        // The group's leader exited already: the signal is for what it left behind.
        group: this.running ? options.group : true,
        leader: this.ownGroup,
        gone: () => this.gone(),
        what: this.name,
      });
      await this.exited;
      return outcome;
    })();
    return this.stopping;
  }

  /** SIGKILL (to its group, if it leads one), as a crash; resolves once it has exited. */
  kill(): Promise<StopOutcome> {
    return this.stop({ signal: 'SIGKILL' });
  }

  /** Lets this process exit while the child still runs (a server started in the background). */
  unref(): void {
    this.child.unref();
  }

  private gone(): boolean {
    const pid = this.child.pid;
    return !this.running && !(this.ownGroup && pid !== undefined && groupRunning(pid));
  }
}

/**
 * Stops a process by pid (one this process started, or one found in a pid
 * file): the first signal, then SIGKILL after `timeoutMs`; with `leader`
 * (it leads its own process group) SIGKILL goes to the group and the wait
 * lasts until every process of the group is gone. Rejects only if something
 * outlives SIGKILL by 5 s.
 */
export async function stopProcess(
  pid: number,
  options: StopOptions & {
    leader: boolean;
    /** Whether it is gone; default: from /proc (a zombie counts as gone). */
    gone?: () => boolean;
    /** For the error if SIGKILL fails. */
    what?: string;
  },
): Promise<'stopped' | 'killed'> {
  const { leader, timeoutMs = DEFAULT_STOP_MS, group = true, what = `pid ${pid}` } = options;
  const gone = options.gone ?? (() => !isRunning(pid) && !(leader && groupRunning(pid)));
  const first = options.signal === undefined ? 'SIGTERM' : options.signal;
  if (first) signal(pid, first, leader && group);
  const stopped = await waitUntil(gone, { timeoutMs, what }).then(
    () => true,
    () => false,
  );
  if (stopped) return 'stopped';
  signal(pid, 'SIGKILL', leader);
  await waitUntil(gone, { timeoutMs: AFTER_KILL_MS, what: `${what} to die after SIGKILL` });
  return 'killed';
}

/**
 * Runs a command to its end (synchronously) and returns its stdout, trimmed;
 * throws naming the command, how it ended and its stderr if it fails.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd?: string; owner?: Owner } = {},
): string {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.owner ?? {}),
  });
  const line = [command, ...args].join(' ');
  if (result.error) throw new Error(`${line}: could not run: ${result.error.message}`);
  if (result.status !== 0) {
    const stderr = result.stderr.trim();
    throw new Error(
      `${line} failed (${result.signal ?? `code ${result.status}`})${stderr ? `: ${stderr}` : ''}`,
    );
  }
  return result.stdout.trim();
}
