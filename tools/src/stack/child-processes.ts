import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface ChildSpec {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Each line of its output, after it was printed. */
  onLine?: (line: string) => void;
}

/**
 * The processes of a one-terminal stack (`npm run start:ha`): every line of
 * each printed with its name in front, each child leading its own process
 * group so that stopping it also stops what it spawned, and a callback when
 * one exits by itself (the stack then stops as a whole).
 */
export class ChildProcesses {
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;

  constructor(
    private readonly width: number,
    private readonly onUnexpectedExit: (
      name: string,
      code: number | null,
      signal: string | null,
    ) => void,
  ) {}

  has(name: string): boolean {
    return this.children.has(name);
  }

  run(name: string, spec: ChildSpec): ChildProcess {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.children.set(name, child);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        process.stdout.write(`${name.padEnd(this.width)} | ${line}\n`);
        spec.onLine?.(line);
      });
    }
    child.on('exit', (code, signal) => {
      this.children.delete(name);
      if (!this.stopping) this.onUnexpectedExit(name, code, signal);
    });
    return child;
  }

  /** From now on an exit is expected: no more `onUnexpectedExit`. */
  beginStop(): void {
    this.stopping = true;
  }

  /**
   * SIGTERM to the child (`group`: to its whole process group), SIGKILL after
   * `timeoutMs`; resolves once it has exited.
   */
  async terminate(name: string, group: boolean, timeoutMs = 15_000): Promise<void> {
    const child = this.children.get(name);
    const pid = child?.pid;
    if (!child || pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    const send = (signal: NodeJS.Signals) => {
      try {
        process.kill(group ? -pid : pid, signal);
      } catch {
        // gone
      }
    };
    send('SIGTERM');
    const timer = setTimeout(() => send('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
