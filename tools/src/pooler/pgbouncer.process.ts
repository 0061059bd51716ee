import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unprivilegedUser } from '../cluster/unprivileged-user';
import { debianBinary, listening } from '../stack/debian-server';

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
 * replica replaced behind the same address would look to a client.
 */
export class PgBouncer {
  private child: ChildProcess | undefined;

  constructor(private settings: PgBouncerSettings) {}

  url(alias: string): string {
    return `postgres://pooled:pooled@127.0.0.1:${this.settings.port}/${alias}`;
  }

  async start(): Promise<void> {
    rmSync(this.settings.dir, { recursive: true, force: true });
    mkdirSync(this.settings.dir, { recursive: true });
    this.writeConfig();
    const owner = process.getuid?.() === 0 ? unprivilegedUser() : undefined;
    if (owner) chownSync(this.settings.dir, owner.uid, owner.gid);
    this.child = spawn(findPgBouncer(), [this.configFile], {
      stdio: 'ignore',
      ...(owner ?? {}),
    });
    const deadline = Date.now() + 10_000;
    while (!(await listening(this.settings.port))) {
      if (this.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`pgbouncer did not start; see ${join(this.settings.dir, 'pgbouncer.log')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Points `alias` at the server on `port` (a replica replaced behind the pooler) and reloads. */
  async repoint(alias: string, port: number): Promise<void> {
    this.settings = {
      ...this.settings,
      databases: this.settings.databases.map((d) => (d.alias === alias ? { ...d, port } : d)),
    };
    this.writeConfig();
    this.child?.kill('SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 300));
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
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
