import { postgresUrl, type PostgresAddress } from '@app/config';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'pg';
import { LOCAL_ROLES, type ClusterRoles, type Login } from '../credentials';
import { runCommand, spawnChild, type Owner } from '../process/child.process';
import { isAlive } from '../process/process.probe';
import { waitUntil } from '../process/wait';
import { withPgClient } from './pg-client';
import { recreateScratchDir } from './scratch-dir';
import type { PostgresBinaries } from './postgres-binaries';
import { rolesSql } from './roles.bootstrap';
import { serverOwner } from './unprivileged-user';

/**
 * The primary's address (replica `i` listens on `port + 1 + i`; `user` is the
 * superuser) and how the cluster is built.
 */
export interface ClusterSettings extends PostgresAddress {
  dataDir: string;
  replicas: number;
  fsync: boolean;
  /** The app roles `create()` makes (postgres/roles.sql). Default: `LOCAL_ROLES`. */
  roles?: ClusterRoles;
}

export interface ClusterNode {
  name: string;
  port: number;
  dir: string;
}

export type NodeLog = (node: string, line: string) => void;

/** Postgres' own lines that the log callback sees; every line goes to the node's file. */
const SHOWN = /\b(WARNING|ERROR|FATAL|PANIC):/;
export type StopMode = 'fast' | 'immediate' | 'kill';

const SIGNALS: Record<StopMode, NodeJS.Signals> = {
  fast: 'SIGINT',
  immediate: 'SIGQUIT',
  kill: 'SIGKILL',
};

/**
 * A primary and N streaming replicas on 127.0.0.1, one directory each under
 * `dataDir`. Replicas are cold copies of the freshly initialised primary (no
 * pg_basebackup needed, so any Postgres >= 10 distribution works), each with
 * its own replication slot so that the primary keeps the WAL they still need.
 */
export class LocalCluster {
  private readonly owner: Owner | undefined;
  /** Set for good by {@link stopAll}: no node starts afterwards. */
  private stopped = false;
  /** Starts under way: {@link stopAll} waits for them, so that none outlives it. */
  private readonly starting = new Set<Promise<void>>();

  constructor(
    readonly settings: ClusterSettings,
    private readonly bins: PostgresBinaries,
    private readonly log: NodeLog = () => undefined,
  ) {
    this.owner = serverOwner();
  }

  get nodes(): ClusterNode[] {
    const { dataDir, port, replicas } = this.settings;
    return [
      { name: 'primary', port, dir: join(dataDir, 'primary') },
      ...Array.from({ length: replicas }, (_, i) => ({
        name: `replica${i}`,
        port: port + 1 + i,
        dir: join(dataDir, `replica${i}`),
      })),
    ];
  }

  node(name: string): ClusterNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`No node ${name} in this cluster`);
    return node;
  }

  /** The superuser's URL of a node: for administration, not for an app. */
  url(name = 'primary', database = this.settings.database): string {
    const { user, password, host } = this.settings;
    return postgresUrl({ host, port: this.node(name).port, user, password, database });
  }

  /** A node's URL for one of the cluster's roles (`roles.api`, ...), in its database. */
  urlAs(login: Login, name = 'primary'): string {
    const { host, database } = this.settings;
    return postgresUrl({ host, port: this.node(name).port, ...login, database });
  }

  /** The logins `create()` made besides the superuser. */
  get roles(): ClusterRoles {
    return this.settings.roles ?? LOCAL_ROLES;
  }

  /** Wipes `dataDir` (only one a launcher built: `recreateScratchDir`) and builds the cluster in it, with its roles (postgres/roles.sql). */
  async create(): Promise<void> {
    const { dataDir } = this.settings;
    // A cluster of a run from before the marker: its nodes' directories and logs, nothing else.
    recreateScratchDir(dataDir, {
      entries: /^(primary|replica\d+|log)$/,
      holds: join('primary', 'PG_VERSION'),
    });
    this.chown(dataDir);
    const primary = this.nodes[0]!;
    this.initPrimary(primary);
    await this.startNode('primary', { foreground: true });
    await this.waitReady('primary');
    await this.withClient('primary', 'postgres', async (client) => {
      await client.query(`CREATE DATABASE ${quoteIdent(this.settings.database)}`);
      for (const replica of this.nodes.slice(1)) {
        await client.query('SELECT pg_create_physical_replication_slot($1)', [replica.name]);
      }
    });
    await this.withClient('primary', this.settings.database, (client) =>
      client.query(rolesSql(this.settings.database, this.roles)),
    );
    await this.stopNode('primary', 'fast');
    for (const replica of this.nodes.slice(1)) this.cloneReplica(primary, replica);
  }

  /** Starts every node that is not running; resolves when the primary accepts connections. */
  async startAll(options: { foreground: boolean }): Promise<void> {
    for (const node of this.nodes) {
      if (!this.pidOf(node.name)) await this.startNode(node.name, options);
    }
    await this.waitReady('primary');
  }

  /** Where a node started in the foreground writes its log: `<dataDir>/log/<name>.log`. */
  logFile(name: string): string {
    return join(this.settings.dataDir, 'log', `${name}.log`);
  }

  /**
   * Starts one node. In the foreground its output goes to `logFile(name)`, its
   * warnings and errors also to the log callback, and it stays in this
   * process's group (a terminal's Ctrl+C reaches it too); otherwise it leads a
   * group of its own, may outlive this process, and logs to `<dataDir>/<name>.log`.
   * Either way it is stopped through its postmaster.pid (`stopNode`).
   */
  async startNode(name: string, options: { foreground: boolean }): Promise<void> {
    if (this.stopped) throw new Error(`Not starting ${name}: the cluster is stopping`);
    const start = this.spawnNode(name, options);
    this.starting.add(start);
    try {
      await start;
    } finally {
      this.starting.delete(start);
    }
  }

  private async spawnNode(name: string, options: { foreground: boolean }): Promise<void> {
    const node = this.node(name);
    if (this.pidOf(name)) throw new Error(`${name} is already running (pid ${this.pidOf(name)})`);
    const { foreground } = options;
    const logFile = foreground ? this.logFile(name) : join(this.settings.dataDir, `${name}.log`);
    if (foreground) {
      mkdirSync(join(this.settings.dataDir, 'log'), { recursive: true });
      this.log(name, `log: ${logFile} (warnings and errors shown here)`);
    }
    const child = spawnChild({
      name,
      command: this.bins.postgres,
      args: ['-D', node.dir],
      owner: this.owner,
      logFile,
      ...(foreground
        ? {
            ownGroup: false,
            onLine: (line: string) => {
              if (SHOWN.test(line)) this.log(name, line);
            },
            onExit: (code: number | null, signal: NodeJS.Signals | null) =>
              this.log(name, `exited (${signal ?? `code ${code}`})`),
          }
        : { output: 'file' as const }),
    });
    if (!foreground) child.unref();
    await waitUntil(() => this.pidOf(name) !== undefined || !child.running, {
      timeoutMs: 15_000,
      what: `${name} to start`,
    });
    if (!child.running && !this.pidOf(name)) {
      throw new Error(
        `${name} exited at start with code ${child.exitStatus?.code}; see its log above or in ${logFile}`,
      );
    }
  }

  /** Stops a node (fast: clean shutdown; immediate: no checkpoint; kill: SIGKILL, a crash). */
  async stopNode(name: string, mode: StopMode = 'fast'): Promise<void> {
    const pid = this.pidOf(name);
    if (!pid) return;
    try {
      process.kill(pid, SIGNALS[mode]);
    } catch {
      return;
    }
    await waitUntil(() => !isAlive(pid), {
      timeoutMs: 60_000,
      what: `${name} (pid ${pid}) to stop`,
    });
    if (mode === 'kill') await this.killOrphans(name);
  }

  /**
   * Stops every node, for good: a start under way (a signal during `create()`
   * or `startAll()`) is waited for, then stopped too, and none begins after.
   */
  async stopAll(mode: StopMode = 'fast'): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.starting]);
    await Promise.all(this.nodes.map((n) => this.stopNode(n.name, mode)));
  }

  /** Resolves when the node accepts queries (a standby: once it is consistent). */
  async waitReady(name: string, timeoutMs = 30_000): Promise<void> {
    await waitUntil(
      () => this.withClient(name, 'postgres', () => Promise.resolve(true)).catch(() => false),
      { timeoutMs, what: `${name} to accept connections` },
    );
  }

  /** Resolves when the primary reports every replica streaming; returns their names. */
  async waitStreaming(timeoutMs = 60_000, expected = this.settings.replicas): Promise<string[]> {
    let streaming: string[] = [];
    await waitUntil(
      async () => {
        streaming = await this.withClient('primary', 'postgres', async (c) => {
          const { rows } = await c.query<{ application_name: string }>(
            "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming' ORDER BY 1",
          );
          return rows.map((r) => r.application_name);
        }).catch(() => []);
        return streaming.length >= expected;
      },
      {
        timeoutMs,
        what: () => `${expected} replicas to stream (streaming: ${streaming.join(', ') || 'none'})`,
      },
    );
    return streaming;
  }

  pidOf(name: string): number | undefined {
    const file = join(this.node(name).dir, 'postmaster.pid');
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return pid && isAlive(pid) ? pid : undefined;
  }

  async withClient<T>(
    name: string,
    database: string,
    fn: (client: Client) => Promise<T>,
  ): Promise<T> {
    return withPgClient(this.url(name, database), fn);
  }

  private initPrimary(primary: ClusterNode): void {
    const pwfile = join(this.settings.dataDir, 'pwfile');
    writeFileSync(pwfile, `${this.settings.password}\n`, { mode: 0o600 });
    this.chown(pwfile);
    runCommand(
      this.bins.initdb,
      [
        '-D',
        primary.dir,
        '-U',
        this.settings.user,
        `--pwfile=${pwfile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=trust',
        '-E',
        'UTF8',
        '--locale=C',
      ],
      { owner: this.owner },
    );
    rmSync(pwfile);
    appendFileSync(
      join(primary.dir, 'postgresql.conf'),
      [
        '',
        '# rocket-rides-scalable local cluster',
        `listen_addresses = '${this.settings.host}'`,
        `port = ${primary.port}`,
        "unix_socket_directories = ''",
        'wal_level = replica',
        'max_wal_senders = 40',
        'max_replication_slots = 40',
        'hot_standby = on',
        'hot_standby_feedback = on',
        // The unified log stamps each event with its transaction's commit time (docs/design.md).
        'track_commit_timestamp = on',
        'max_connections = 200',
        'shared_buffers = 64MB',
        `fsync = ${this.settings.fsync ? 'on' : 'off'}`,
        'log_min_messages = warning',
        'log_checkpoints = off',
        "log_line_prefix = '%m '",
        '',
      ].join('\n'),
    );
  }

  private cloneReplica(primary: ClusterNode, replica: ClusterNode): void {
    runCommand('cp', ['-a', primary.dir, replica.dir]);
    for (const slot of readdirSync(join(replica.dir, 'pg_replslot'))) {
      rmSync(join(replica.dir, 'pg_replslot', slot), { recursive: true, force: true });
    }
    const { user, password } = this.roles.replication;
    const conninfo = `host=${this.settings.host} port=${primary.port} user=${user} password=${password} application_name=${replica.name}`;
    const standby = [
      `primary_conninfo = '${conninfo.replace(/'/g, "''")}'`,
      `primary_slot_name = '${replica.name}'`,
    ];
    if (this.bins.version >= 12) {
      writeFileSync(join(replica.dir, 'standby.signal'), '');
      appendFileSync(
        join(replica.dir, 'postgresql.auto.conf'),
        `port = ${replica.port}\n${standby.join('\n')}\n`,
      );
    } else {
      writeFileSync(
        join(replica.dir, 'recovery.conf'),
        `standby_mode = 'on'\n${standby.join('\n')}\n`,
      );
      appendFileSync(join(replica.dir, 'postgresql.conf'), `port = ${replica.port}\n`);
    }
    this.chown(replica.dir);
  }

  /** After SIGKILL of the postmaster its backends may linger holding shared memory; end them. */
  private async killOrphans(name: string): Promise<void> {
    const dir = this.node(name).dir;
    try {
      runCommand('pkill', ['-KILL', '-f', `postgres.*${dir}`]);
    } catch {
      // none left
    }
    await sleep(100);
  }

  private chown(path: string): void {
    if (this.owner) runCommand('chown', ['-R', `${this.owner.uid}:${this.owner.gid}`, path]);
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
