import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { HaSettings } from './ha.settings';
import { launch, runningPid, terminate, type Owner } from './logged.process';
import { waitUntil } from './wait-until';

export type ProcessLog = (name: string, line: string) => void;
/** Told when a process this one started exits: `etcd` or a node's name (its Patroni). */
export type ExitListener = (name: string) => void;

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
  private child: ChildProcess | undefined;

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
        this.onExit('etcd');
      },
    });
    this.child = child;
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`etcd exited at start; see ${logFile}`);
        return this.healthy();
      },
      15_000,
      `etcd on ${this.url} to be healthy (log: ${logFile})`,
    );
  }

  /** Stops etcd (SIGTERM, SIGKILL after 10 s), started here or by another launcher. */
  async stop(): Promise<void> {
    const pid = this.child?.pid ?? this.pid;
    if (pid !== undefined) await terminate(pid, 10_000);
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
