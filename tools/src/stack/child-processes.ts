import { prefixed, spawnChild, type Child, type ChildSpec } from '../process/child.process';

/** What a stack runs: a command, and what to do with each line besides printing it. */
export type StackChildSpec = Pick<ChildSpec, 'command' | 'args' | 'cwd' | 'env' | 'onLine'>;

/**
 * The processes of a one-terminal stack (`npm start`, `npm run start:ha`):
 * every line of each printed with its name in front, each child leading its
 * own process group so that stopping it also stops what it spawned, and a
 * callback when one exits by itself (the stack then stops as a whole).
 */
export class ChildProcesses {
  private readonly children = new Map<string, Child>();
  private stopping = false;

  constructor(
    private readonly width: number,
    private readonly onUnexpectedExit: (
      name: string,
      code: number | null,
      signal: string | null,
    ) => void,
  ) {}

  /** Whether `name` was started (it may have exited since). */
  has(name: string): boolean {
    return this.children.has(name);
  }

  run(name: string, spec: StackChildSpec): Child {
    const child = spawnChild({
      ...spec,
      name,
      print: { width: this.width },
      onExit: (code, signal) => {
        if (!this.stopping) this.onUnexpectedExit(name, code, signal);
      },
    });
    this.children.set(name, child);
    return child;
  }

  /** From now on an exit is expected: no more `onUnexpectedExit`. */
  beginStop(): void {
    this.stopping = true;
  }

  /**
   * SIGKILL now to each of `names` (to its group, if it leads one), stopping
   * or not: a second Ctrl+C. A stop under way then ends at once.
   */
  kill(names: readonly string[]): void {
    for (const name of names)
      void this.children
        .get(name)
        ?.kill()
        .catch(() => undefined);
  }

  /**
   * SIGTERM to the child (`group`: to its whole process group; else it stops
   * its own children), SIGKILL to the group after `timeoutMs`; resolves once
   * it and every process of its group have exited. The default outlasts the
   * apps' own SHUTDOWN_TIMEOUT_MS (25 s): an app is never killed mid-drain.
   * Never rejects: false, said, when something of it outlived SIGKILL, so that
   * a stack's later stages (Redis, the cluster) are still stopped.
   */
  async terminate(name: string, group: boolean, timeoutMs = 30_000): Promise<boolean> {
    try {
      await this.children.get(name)?.stop({ group, timeoutMs });
      return true;
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      console.log(prefixed('start', `${name} did not stop: ${why}`, this.width));
      return false;
    }
  }

  /**
   * Stops the stages one after the other, each stage's children at once (see
   * {@link terminate}); resolves whether every child stopped.
   */
  async stopInStages(stages: readonly StopStage[]): Promise<boolean> {
    let clean = true;
    for (const { names, group, timeoutMs } of stages) {
      const stopped = await Promise.all(names.map((n) => this.terminate(n, group, timeoutMs)));
      clean &&= stopped.every(Boolean);
    }
    return clean;
  }
}

/** One step of a stack's stop: these children at once; `group` and `timeoutMs` as in `terminate`. */
export interface StopStage {
  names: readonly string[];
  group: boolean;
  timeoutMs?: number;
}
