import { migrate } from '@app/rides-schema';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'pg';
import { recreateScratchDir } from '../cluster/scratch-dir';
import { serverOwner } from '../cluster/unprivileged-user';
import type { Login } from '../credentials';
import { runCommand, type Owner } from '../process/child.process';
import { assertPortFree, waitUntil } from '../process/wait';
import { EtcdProcess, type ExitListener, type ProcessLog } from './etcd.process';
import { HaAddresses } from './ha.addresses';
import { findHaBinaries, type HaBinaries } from './ha.binaries';
import type { HaEnv } from './ha.env';
import {
  haPorts,
  resolveHaSettings,
  type HaClusterOptions,
  type HaNode,
  type HaSettings,
} from './ha.settings';
import { HaTopology } from './ha.topology';
import { PatroniClient, type HaMember } from './patroni.client';
import { patroniConfig, renderPatroniConfig } from './patroni.config';
import { PatroniProcess } from './patroni.process';
import { postBootstrapFile, postBootstrapSql } from './post-bootstrap.sql';

/**
 * A Patroni cluster on this machine: one etcd and `nodes` Patroni nodes
 * (pg0, pg1, ...) running the Postgres server binaries `npm run cluster`
 * uses, every process as an unprivileged account when this one is root.
 * `start()` recreates it from nothing; then nodes can be killed, restarted
 * and switched over, and Patroni elects, promotes and rewinds by itself.
 * Every process logs to `<dataDir>/log/<name>.log`; the log callback gets
 * only events (promotions, rewinds, errors).
 */
export class HaCluster {
  readonly settings: HaSettings;
  readonly nodes: readonly HaNode[];
  private readonly addresses: HaAddresses;
  private readonly topology: HaTopology;
  private readonly owner: Owner | undefined;
  private readonly etcd: EtcdProcess;
  private readonly patroni: ReadonlyMap<string, PatroniProcess>;
  private readonly client: PatroniClient;
  private bins: HaBinaries | undefined;
  private stopping: Promise<void> | undefined;

  /**
   * `log` gets the events of every process; `onExit` is told when a process
   * started here exits (`etcd`, or a node's name when its Patroni does).
   */
  constructor(
    options: HaClusterOptions = {},
    private readonly log: ProcessLog = () => undefined,
    onExit: ExitListener = () => undefined,
  ) {
    this.settings = resolveHaSettings(options);
    this.addresses = new HaAddresses(this.settings);
    this.nodes = this.addresses.nodes;
    this.owner = serverOwner();
    this.etcd = new EtcdProcess(this.settings, this.owner, log, onExit);
    this.patroni = new Map(
      this.nodes.map((n) => [n.name, new PatroniProcess(n, this.owner, log, onExit)]),
    );
    this.client = new PatroniClient(this.addresses.patroniUrls());
    this.topology = new HaTopology(this.addresses, this.client, () =>
      this.nodes.filter((n) => this.patroniOf(n.name).pid !== undefined).map((n) => n.name),
    );
  }

  /**
   * Wipes `dataDir`, starts etcd, then pg0 (which initialises the cluster and
   * runs the post_bootstrap: database and roles), then the other nodes (which
   * clone it), migrates the schema as the owner role, and resolves once
   * every replica streams from the leader.
   */
  async start(): Promise<void> {
    this.stopping = undefined;
    const bins = this.binaries();
    for (const p of haPorts(this.settings)) {
      await assertPortFree(p.port, p.what, this.settings.host).catch(() => {
        throw new Error(
          `Port ${p.port} (${p.what}) is already in use. Stop whatever listens there (a cluster left ` +
            'running? `npm run cluster:ha:stop` or `npm run cluster:stop`), or set ' +
            `${p.variable} to move it.`,
        );
      });
    }
    this.prepare(bins);
    await this.etcd.start(bins.etcd, this.logFile('etcd'));
    const [first, ...others] = this.nodes;
    this.launch(first!.name);
    const leader = await this.waitForLeader(120_000);
    for (const node of others) this.launch(node.name);
    await migrate(this.urlAs(this.settings.roles.owner, leader.name), (line) =>
      this.log('cluster', `migrations: ${line}`),
    );
    await this.waitForStreaming(120_000);
  }

  /**
   * Stops every node cleanly (Patroni's SIGTERM: Postgres shuts down, the
   * leader key is released), the replicas' Postgres before the leader's so
   * that no replica races for the leader key being given up, then etcd.
   * Whatever does not stop within 30 s is killed. Works on a cluster another
   * process started (pids from `dataDir`); calling it again is harmless.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const leader = await this.leader().catch(() => undefined);
      const all = this.nodes.map((n) => this.patroniOf(n.name));
      const replicas = all.filter((p) => p.node.name !== leader?.name);
      for (const p of replicas) p.requestStop();
      // Not their Patroni's exit: that waits for PID 1 to reap the postmaster, seconds on some machines.
      await Promise.all(replicas.map((p) => p.postgresStopped().catch(() => undefined)));
      if (leader) this.patroniOf(leader.name).requestStop();
      await Promise.all(all.map((p) => p.waitStopped()));
      await this.etcd.stop();
    })();
    return this.stopping;
  }

  /** A lost machine: SIGKILL the node's Patroni, its postmaster and backends. */
  kill(name: string): Promise<void> {
    return this.patroniOf(name).kill();
  }

  /**
   * Starts a node's Patroni again (after `kill`); resolves once its REST API
   * answers. It rejoins as a replica, rewound with pg_rewind if it had
   * diverged: `waitForStreaming()` tells when it streams.
   */
  async restart(name: string): Promise<void> {
    await this.patroniOf(name).waitReaped();
    this.launch(name);
    const url = this.addresses.patroniUrl(name);
    await waitUntil(() => this.client.answers(url), {
      timeoutMs: 30_000,
      what: `${name}'s Patroni on ${url}`,
      intervalMs: 200,
    });
  }

  /**
   * Hands the leader's role to `candidate` (in synchronous mode only the sync
   * standby may be one), or to a replica Patroni picks; resolves with the new
   * leader once it is writable.
   */
  async switchover(candidate?: string): Promise<HaMember> {
    const leader = await this.leader();
    if (!leader) throw new Error('No leader to switch over from; wait for one (waitForLeader)');
    await this.client.switchover(this.addresses.patroniUrl(leader.name), leader.name, candidate);
    return this.waitForLeader(30_000, { not: leader.name });
  }

  /** Every node as Patroni's `GET /cluster` reports it (from the first node that answers). */
  members(): Promise<HaMember[]> {
    return this.topology.members();
  }

  /** The member Patroni reports as leader, if any (it may not accept writes yet). */
  leader(): Promise<HaMember | undefined> {
    return this.topology.leader();
  }

  /**
   * Resolves with the leader once Patroni reports one running and its
   * Postgres has left recovery (accepts writes); `not` skips a former leader
   * whose key has not expired yet.
   */
  waitForLeader(timeoutMs = 30_000, options: { not?: string } = {}): Promise<HaMember> {
    return this.topology.waitForLeader(timeoutMs, options.not);
  }

  /**
   * Resolves once the leader's pg_stat_replication shows every other node whose
   * Patroni runs as `streaming` (Patroni itself says only `running`) and, in
   * synchronous mode, Patroni has made one of them the sync standby (until
   * then commits do not wait for a standby); returns their names.
   */
  waitForStreaming(timeoutMs = 60_000): Promise<string[]> {
    return this.topology.waitForStreaming(timeoutMs);
  }

  /** The nodes streaming from `leader` (its pg_stat_replication, by application_name). */
  streamingTo(leader: string): Promise<string[]> {
    return this.topology.streamingTo(leader);
  }

  /** Runs `fn` with a superuser connection to a node's `database`. */
  withClient<T>(name: string, database: string, fn: (client: Client) => Promise<T>): Promise<T> {
    return this.topology.withClient(name, database, fn);
  }

  /** A node's ports and directories; throws naming the nodes there are. */
  node(name: string): HaNode {
    return this.addresses.node(name);
  }

  /** The superuser's URL of a node: for administration, not for an app. */
  url(name: string, database?: string): string {
    return this.addresses.url(name, database);
  }

  /** A node's URL for one of the cluster's roles (`settings.roles.api`, ...), in the app's database. */
  urlAs(login: Login, name: string): string {
    return this.addresses.urlAs(login, name);
  }

  /** Every node's URL as `login` (default: the API's role), leader or not: roles are the app's to find. */
  hosts(login?: Login): { name: string; url: string }[] {
    return this.addresses.hosts(login);
  }

  /** Patroni's REST API base URL of every node. */
  patroniUrls(): string[] {
    return this.addresses.patroniUrls();
  }

  /** DATABASE_HOSTS and PATRONI_URLS for an app connecting as `login` (default: the API's role). */
  env(login?: Login): HaEnv {
    return this.addresses.env(login);
  }

  /** `<dataDir>/log/<name>.log`: everything etcd or a node (Patroni and its Postgres) wrote. */
  logFile(name: string): string {
    return join(this.settings.dataDir, 'log', `${name}.log`);
  }

  /** Starts a node's Patroni, unless `stop()` was called meanwhile (Ctrl+C while starting). */
  private launch(name: string): void {
    if (this.stopping) throw new Error(`Not starting ${name}: the cluster is stopping`);
    this.patroniOf(name).start(this.binaries().patroni, this.logFile(name));
  }

  private patroniOf(name: string): PatroniProcess {
    return this.patroni.get(this.addresses.node(name).name)!;
  }

  private binaries(): HaBinaries {
    return (this.bins ??= findHaBinaries());
  }

  /** A fresh `dataDir`: each node's configuration and the post_bootstrap script, owned by the account that runs them. */
  private prepare(bins: HaBinaries): void {
    const { dataDir } = this.settings;
    // An HA cluster of a run from before the marker: etcd, the nodes, the logs, nothing else.
    recreateScratchDir(dataDir, {
      entries: /^(etcd|etcd\.pid|log|pg\d+|post-bootstrap\.sql)$/,
      holds: join('pg0', 'patroni.yml'),
    });
    mkdirSync(join(dataDir, 'log'), { recursive: true, mode: 0o700 });
    writeFileSync(postBootstrapFile(this.settings), postBootstrapSql(this.settings), {
      mode: 0o600,
    });
    for (const node of this.nodes) {
      mkdirSync(node.dir, { mode: 0o700 });
      const config = patroniConfig(this.settings, node, bins.postgres.bindir);
      writeFileSync(node.configFile, renderPatroniConfig(config), { mode: 0o600 });
    }
    if (this.owner) runCommand('chown', ['-R', `${this.owner.uid}:${this.owner.gid}`, dataDir]);
  }
}
