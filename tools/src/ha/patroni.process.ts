import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopProcess, type Child, type Owner } from '../process/child.process';
import { childrenOf, groupRunning, hasEntry, isRunning, signal } from '../process/process.probe';
import { waitUntil } from '../process/wait';
import type { ExitListener, ProcessLog } from './etcd.process';
import type { HaNode } from './ha.settings';
import { launch, runningPid } from './logged.process';
import { patroniEvent } from './patroni.events';

/**
 * One node's Patroni and the Postgres it runs. Patroni leads a process group
 * of its own (with whatever it runs at the moment: pg_basebackup, pg_rewind,
 * ...), but starts its postmaster in a session of its own (as pg_ctl does),
 * so the two are stopped and killed separately: the postmaster's pid comes
 * from the data directory's postmaster.pid.
 */
export class PatroniProcess {
  private child: Child | undefined;

  constructor(
    readonly node: HaNode,
    private readonly owner: Owner | undefined,
    private readonly log: ProcessLog,
    private readonly onExit: ExitListener,
  ) {}

  /** Patroni's pid (the python3 process itself: /usr/bin/patroni is exec'd, not wrapped in a shell). */
  get pid(): number | undefined {
    return runningPid(this.node.pidFile, this.node.configFile);
  }

  /** The running postmaster of this node, if any. */
  get postmasterPid(): number | undefined {
    return runningPid(join(this.node.pgdata, 'postmaster.pid'), this.node.pgdata);
  }

  /** Starts Patroni (`/usr/bin/patroni <config>`); it bootstraps, clones or rejoins by itself. */
  start(binary: string, logFile: string): void {
    if (this.pid !== undefined)
      throw new Error(`${this.node.name}'s Patroni already runs (pid ${this.pid})`);
    this.child = launch({
      name: this.node.name,
      command: binary,
      args: [this.node.configFile],
      cwd: this.node.dir,
      pidFile: this.node.pidFile,
      logFile,
      owner: this.owner,
      onLine: (line) => {
        const event = patroniEvent(line);
        if (event) this.log(this.node.name, event);
      },
      onExit: (code, sig) => {
        this.child = undefined;
        this.log(this.node.name, `Patroni exited (${sig ?? `code ${code}`})`);
        this.onExit(this.node.name, code, sig);
      },
    });
  }

  /**
   * A clean stop: SIGTERM makes Patroni shut its Postgres down and, on the
   * leader, release the leader key. After `timeoutMs` both are killed; a
   * postmaster left behind (Patroni killed earlier) is stopped too.
   */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.requestStop();
    await this.waitStopped(timeoutMs);
  }

  /** Sends Patroni's group its SIGTERM without waiting (see `waitStopped`). */
  requestStop(): void {
    const pid = this.child?.pid ?? this.pid;
    if (pid !== undefined) signal(pid, 'SIGTERM', true);
  }

  /** Resolves once Postgres is down (Patroni may still be saying goodbye to etcd). */
  async postgresStopped(timeoutMs = 30_000): Promise<void> {
    await waitUntil(() => this.postmasterPid === undefined, {
      timeoutMs,
      what: `${this.node.name}'s Postgres to stop`,
    });
  }

  /** Waits for Patroni to exit after `requestStop()`, killing what is left after `timeoutMs`. */
  async waitStopped(timeoutMs = 30_000): Promise<void> {
    const pid = this.child?.pid ?? this.pid;
    if (pid !== undefined) {
      const how = await stopProcess(pid, {
        signal: null,
        timeoutMs,
        leader: true,
        what: `${this.node.name}'s Patroni`,
      });
      if (how === 'killed')
        this.log(this.node.name, `Patroni did not stop within ${timeoutMs / 1000} s: killed`);
    }
    const postmaster = this.postmasterPid;
    if (postmaster !== undefined) {
      signal(postmaster, 'SIGINT'); // Postgres' fast shutdown
      await waitUntil(() => !isRunning(postmaster), { timeoutMs, what: 'exit' }).catch(() =>
        this.killPostgres(),
      );
    }
  }

  /** A lost machine: SIGKILL Patroni's group, its postmaster and every backend, no shutdown at all. */
  async kill(): Promise<void> {
    const pid = this.child?.pid ?? this.pid;
    if (pid !== undefined) signal(pid, 'SIGKILL', true);
    await this.killPostgres();
    if (pid !== undefined)
      await waitUntil(() => !isRunning(pid) && !groupRunning(pid), {
        timeoutMs: 5_000,
        what: `${this.node.name}'s Patroni to die`,
      });
  }

  /**
   * Resolves once the postmaster a kill left behind has left the process
   * table. A zombie that PID 1 has not reaped yet still matches postmaster.pid,
   * and a Patroni started then would take it for a running Postgres.
   */
  async waitReaped(timeoutMs = 10_000): Promise<void> {
    const file = join(this.node.pgdata, 'postmaster.pid');
    if (!existsSync(file)) return;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    if (pid > 0)
      await waitUntil(() => !hasEntry(pid), { timeoutMs, what: `pid ${pid} to be reaped` }).catch(
        () => undefined,
      );
  }

  private async killPostgres(): Promise<void> {
    const postmaster = this.postmasterPid;
    if (postmaster === undefined) return;
    // Its backends would notice the postmaster's death by themselves, some only after their
    // current query; a lost machine has none left, and a restart needs the shared memory free.
    const backends = childrenOf(postmaster);
    for (const pid of [postmaster, ...backends]) signal(pid, 'SIGKILL');
    await waitUntil(() => [postmaster, ...backends].every((pid) => !isRunning(pid)), {
      timeoutMs: 5_000,
      what: `${this.node.name}'s Postgres processes to die`,
    });
  }
}
