import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { unprivilegedUser } from '../cluster/unprivileged-user';
import { debianBinary, listening } from '../stack/debian-server';

export interface RedisSettings {
  /** Data directory (the append-only file lives here); wiped by `start({ fresh: true })`. */
  dir: string;
  port: number;
  password?: string;
}

/** Where Debian's `redis-server` package puts the binary (REDIS_SERVER_BIN overrides). */
export function findRedisServer(): string {
  return debianBinary(
    {
      name: 'redis-server',
      package: 'redis-server',
      variable: 'REDIS_SERVER_BIN',
      purpose: 'the unified log',
    },
    ['/usr/bin/redis-server'],
  );
}

/** redis-server's arguments: 127.0.0.1 only, append-only file on (`appendfsync everysec`), no RDB snapshots. */
export function redisServerArgs(settings: RedisSettings): string[] {
  const { dir, port, password } = settings;
  return [
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
    ...(password ? ['--requirepass', password] : []),
  ];
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
    const { dir, port } = this.settings;
    if (options.fresh) rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const owner = process.getuid?.() === 0 ? unprivilegedUser() : undefined;
    if (owner) chownSync(dir, owner.uid, owner.gid);
    const args = [...redisServerArgs(this.settings), '--logfile', join(dir, 'redis.log')];
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
