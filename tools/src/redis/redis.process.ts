import { chownSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { serverOwner } from '../cluster/unprivileged-user';
import { spawnChild, type Child } from '../process/child.process';
import { listening, waitUntil } from '../process/wait';
import { debianBinary } from '../stack/debian-server';

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
 * SIGTERM (a clean shutdown) or SIGKILL (a crash). It stays in the caller's
 * process group, so that a Ctrl+C that ends a test run before its teardown
 * ends this Redis too.
 */
export class RedisServer {
  private child: Child | undefined;

  constructor(readonly settings: RedisSettings) {}

  get url(): string {
    const auth = this.settings.password ? `:${encodeURIComponent(this.settings.password)}@` : '';
    return `redis://${auth}127.0.0.1:${this.settings.port}`;
  }

  async start(options: { fresh?: boolean } = {}): Promise<void> {
    const { dir, port } = this.settings;
    if (options.fresh) rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const owner = serverOwner();
    if (owner) chownSync(dir, owner.uid, owner.gid);
    const log = join(dir, 'redis.log');
    const child = spawnChild({
      name: 'redis',
      command: findRedisServer(),
      args: [...redisServerArgs(this.settings), '--logfile', log],
      owner,
      ownGroup: false,
      output: 'ignore',
    });
    this.child = child;
    await waitUntil(
      async () => {
        if (!child.running) throw new Error(`redis-server did not start on ${port}; see ${log}`);
        return listening(port);
      },
      { timeoutMs: 10_000, what: `redis-server to listen on ${port} (see ${log})`, intervalMs: 50 },
    );
  }

  /** SIGTERM (a clean shutdown; SIGKILL after 15 s) or SIGKILL (a crash); resolves once it has exited. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    await this.child?.stop({ signal });
  }
}
