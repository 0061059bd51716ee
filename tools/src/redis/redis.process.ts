import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { unprivilegedUser } from '../cluster/unprivileged-user';

export interface RedisSettings {
  /** Data directory (the append-only file lives here); wiped by `start({ fresh: true })`. */
  dir: string;
  port: number;
  password?: string;
}

/** Where Debian's `redis-server` package puts the binary (REDIS_SERVER_BIN overrides). */
export function findRedisServer(): string {
  const candidates = [process.env.REDIS_SERVER_BIN, '/usr/bin/redis-server'];
  const found = candidates.find((c) => c && existsSync(c));
  if (!found)
    throw new Error(
      'redis-server is needed for the unified log; not found.\n' +
        '  Install it (Debian/Ubuntu: apt-get install redis-server), or set REDIS_SERVER_BIN.',
    );
  return found;
}

/**
 * Debian's redis-server on 127.0.0.1 for the local stack and the tests, with
 * the append-only file on (`appendfsync everysec`, as docs/operations.md
 * advises): a restart keeps all but about the last second. Stopped with
 * SIGTERM (a clean shutdown) or SIGKILL (a crash).
 */
export class RedisServer {
  private child: ChildProcess | undefined;

  constructor(readonly settings: RedisSettings) {}

  get url(): string {
    const auth = this.settings.password ? `:${encodeURIComponent(this.settings.password)}@` : '';
    return `redis://${auth}127.0.0.1:${this.settings.port}`;
  }

  async start(options: { fresh?: boolean } = {}): Promise<void> {
    const { dir, port, password } = this.settings;
    if (options.fresh) rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const owner = process.getuid?.() === 0 ? unprivilegedUser() : undefined;
    if (owner) chownSync(dir, owner.uid, owner.gid);
    const args = [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--logfile',
      join(dir, 'redis.log'),
      ...(password ? ['--requirepass', password] : []),
    ];
    this.child = spawn(findRedisServer(), args, { stdio: 'ignore', ...(owner ?? {}) });
    const deadline = Date.now() + 10_000;
    while (!(await listening(port))) {
      if (this.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`redis-server did not start on ${port}; see ${join(dir, 'redis.log')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
