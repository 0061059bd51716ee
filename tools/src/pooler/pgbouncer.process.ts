import { chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serverOwner } from '../cluster/unprivileged-user';
import { spawnChild, type Child } from '../process/child.process';
import { listening, waitUntil } from '../process/wait';
import { debianBinary } from '../stack/debian-server';

/** One database entry: the alias clients name, and the server it stands for. */
export interface PooledDatabase {
  alias: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

export interface PgBouncerSettings {
  dir: string;
  port: number;
  databases: PooledDatabase[];
  /** Server connections per database; fewer than clients, so that sessions are shared. */
  poolSize: number;
}

/** Where Debian's `pgbouncer` package puts the binary (PGBOUNCER_BIN overrides). */
export function findPgBouncer(): string {
  return debianBinary(
    {
      name: 'pgbouncer',
      package: 'pgbouncer',
      variable: 'PGBOUNCER_BIN',
      purpose: 'the pooler suite',
    },
    ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'],
  );
}

/**
 * Debian's PgBouncer in `pool_mode = transaction` on 127.0.0.1, for tests:
 * every statement outside a transaction may run on another server session.
 * `repoint()` rewrites an alias to another server and reloads (SIGHUP), as a
 * replica replaced behind the same address would look to a client. Like
 * `RedisServer`, it stays in the caller's process group.
 */
export class PgBouncer {
  private child: Child | undefined;

  constructor(private settings: PgBouncerSettings) {}

  url(alias: string): string {
    return `postgres://pooled:pooled@127.0.0.1:${this.settings.port}/${alias}`;
  }

  async start(): Promise<void> {
    rmSync(this.settings.dir, { recursive: true, force: true });
    mkdirSync(this.settings.dir, { recursive: true });
    this.writeConfig();
    const owner = serverOwner();
    if (owner) chownSync(this.settings.dir, owner.uid, owner.gid);
    const child = spawnChild({
      name: 'pgbouncer',
      command: findPgBouncer(),
      args: [this.configFile],
      owner,
      ownGroup: false,
      output: 'ignore',
    });
    this.child = child;
    const log = join(this.settings.dir, 'pgbouncer.log');
    await waitUntil(
      async () => {
        if (!child.running) throw new Error(`pgbouncer did not start; see ${log}`);
        return listening(this.settings.port);
      },
      {
        timeoutMs: 10_000,
        what: `pgbouncer to listen on ${this.settings.port} (see ${log})`,
        intervalMs: 50,
      },
    );
  }

  /** Points `alias` at the server on `port` (a replica replaced behind the pooler) and reloads. */
  async repoint(alias: string, port: number): Promise<void> {
    this.settings = {
      ...this.settings,
      databases: this.settings.databases.map((d) => (d.alias === alias ? { ...d, port } : d)),
    };
    this.writeConfig();
    this.child?.signal('SIGHUP');
    await sleep(300);
  }

  /** SIGINT (PgBouncer's safe shutdown), SIGKILL after 15 s; resolves once it has exited. */
  async stop(): Promise<void> {
    await this.child?.stop({ signal: 'SIGINT' });
  }

  private get configFile(): string {
    return join(this.settings.dir, 'pgbouncer.ini');
  }

  private writeConfig(): void {
    const { dir, port, databases, poolSize } = this.settings;
    const lines = [
      '[databases]',
      ...databases.map(
        (d) =>
          `${d.alias} = host=127.0.0.1 port=${d.port} dbname=${d.database} user=${d.user} password=${d.password}`,
      ),
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      // Any client name; the server login is the database entry's own.
      'auth_type = any',
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 500',
      // node-postgres sends these at startup; a transaction pooler cannot keep session settings.
      'ignore_startup_parameters = extra_float_digits,statement_timeout,options',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
    ];
    writeFileSync(this.configFile, `${lines.join('\n')}\n`);
  }
}
