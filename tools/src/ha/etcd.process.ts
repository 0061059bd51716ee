import { join } from 'node:path';
import { stopProcess, type Child, type Owner } from '../process/child.process';
import { waitUntil } from '../process/wait';
import type { HaSettings } from './ha.settings';
import { launch, runningPid } from './logged.process';

export type ProcessLog = (name: string, line: string) => void;
/** Told when a process this one started exits: `etcd` or a node's name (its Patroni). */
/** Told when a process exits: its exit code, or the signal that ended it. */
export type ExitListener = (name: string, code: number | null, signal: string | null) => void;

/** etcd's own lines worth showing: zap's JSON lines at error level and above. */
const SHOWN = /"level":"(error|fatal|panic)"/;

/**
 * The arguments of a single-member etcd on `host:etcdPort` (peer port
 * etcdPort + 1), data in `dir`. Patroni's `etcd3` store talks to its v3 API
 * through etcd's JSON gateway, which etcd 3.4 serves by default.
 */
export function etcdArgs(settings: HaSettings, dir: string): string[] {
  const client = `http://${settings.host}:${settings.etcdPort}`;
  const peer = `http://${settings.host}:${settings.etcdPort + 1}`;
  return [
    '--name=etcd0',
    `--data-dir=${dir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=etcd0=${peer}`,
    '--initial-cluster-state=new',
    '--initial-cluster-token=rocket-rides-ha',
    '--logger=zap',
    '--log-level=warn',
  ];
}

/** The cluster's one etcd: Patroni's store for the leader key and the members. */
export class EtcdProcess {
  private child: Child | undefined;

  constructor(
    private readonly settings: HaSettings,
    private readonly owner: Owner | undefined,
    private readonly log: ProcessLog,
    private readonly onExit: ExitListener,
  ) {}

  get dir(): string {
    return join(this.settings.dataDir, 'etcd');
  }

  get url(): string {
    return `http://${this.settings.host}:${this.settings.etcdPort}`;
  }

  get pid(): number | undefined {
    return runningPid(join(this.settings.dataDir, 'etcd.pid'), `--data-dir=${this.dir}`);
  }

  /** Starts etcd; resolves once it reports itself healthy. */
  async start(binary: string, logFile: string): Promise<void> {
    const child = launch({
      name: 'etcd',
      command: binary,
      args: etcdArgs(this.settings, this.dir),
      cwd: this.settings.dataDir,
      pidFile: join(this.settings.dataDir, 'etcd.pid'),
      logFile,
      owner: this.owner,
      onLine: (line) => {
        if (SHOWN.test(line)) this.log('etcd', line);
      },
      onExit: (code, sig) => {
        this.child = undefined;
        this.log('etcd', `exited (${sig ?? `code ${code}`})`);
        this.onExit('etcd', code, sig);
      },
    });
    this.child = child;
    await waitUntil(
      async () => {
        if (!child.running) throw new Error(`etcd exited at start; see ${logFile}`);
        return this.healthy();
      },
      { timeoutMs: 15_000, what: `etcd on ${this.url} to be healthy (log: ${logFile})` },
    );
  }

  /** Stops etcd's process group (SIGTERM, SIGKILL after 10 s), started here or by another launcher. */
  async stop(): Promise<void> {
    if (this.child) {
      await this.child.stop({ timeoutMs: 10_000 });
      return;
    }
    const pid = this.pid;
    if (pid !== undefined)
      await stopProcess(pid, { timeoutMs: 10_000, leader: true, what: 'etcd' });
  }

  private async healthy(): Promise<boolean> {
    try {
      const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(1000) });
      return response.ok && ((await response.json()) as { health?: string }).health === 'true';
    } catch {
      return false;
    }
  }
}
