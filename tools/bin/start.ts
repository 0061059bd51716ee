/**
 * `npm start`: the whole system in one terminal, like the original's forego.
 * The cluster first (recreated, migrated, every replica streaming), then
 * `nest start api|observer|simulator`, every line prefixed with its process
 * name; the api and the observer log in as their own roles. Ctrl+C (or
 * SIGTERM) stops the apps, then the cluster, and leaves no process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { LAUNCHER_READY, launcherCommand } from '../src/cluster/launcher.command';
import { LOCAL_ROLES, type Login } from '../src/credentials';

const NAMES = ['cluster', 'api', 'observer', 'simulator'];
const WIDTH = Math.max(...NAMES.map((n) => n.length));
const children = new Map<string, ChildProcess>();
let stopping = false;

function prefix(
  name: string,
  stream: NodeJS.ReadableStream,
  onLine?: (line: string) => void,
): void {
  createInterface({ input: stream }).on('line', (line) => {
    process.stdout.write(`${name.padEnd(WIDTH)} | ${line}\n`);
    onLine?.(line);
  });
}

/** Each child leads its own process group, so that stopping it also stops what it spawned. */
function run(
  name: string,
  command: string,
  args: string[],
  onLine?: (line: string) => void,
  env: NodeJS.ProcessEnv = {},
): ChildProcess {
  const child = spawn(command, args, {
    // The apps' output is a pipe here, not a terminal: ask for readable logs anyway.
    env: { LOG_FORMAT: 'pretty', ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.set(name, child);
  prefix(name, child.stdout, onLine);
  prefix(name, child.stderr, onLine);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      console.log(
        `${'start'.padEnd(WIDTH)} | ${name} exited (${signal ?? `code ${code}`}); stopping everything`,
      );
      void stop(code === 0 ? 0 : 1);
    }
  });
  return child;
}

async function terminate(name: string, group: boolean): Promise<void> {
  const child = children.get(name);
  if (!child?.pid) return;
  const exited = once(child, 'exit');
  try {
    process.kill(group ? -child.pid : child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(group ? -child.pid! : child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }, 15_000);
  await exited;
  clearTimeout(timer);
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  // The simulator first, so that its final summary counts no errors caused by the API going away.
  await terminate('simulator', true);
  await Promise.all(['api', 'observer'].map((n) => terminate(n, true)));
  // The launcher stops its Postgres nodes itself (fast shutdown), so only it is signalled.
  await terminate('cluster', false);
  process.exit(code);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

/** Who each app logs in as (the launcher's roles); the simulator only speaks HTTP. */
const LOGINS: Record<string, Login | undefined> = {
  api: LOCAL_ROLES.api,
  observer: LOCAL_ROLES.observer,
};
const asLogin = (login: Login | undefined) =>
  login ? { POSTGRES_USER: login.user, POSTGRES_PASSWORD: login.password } : {};

const nest = require.resolve('@nestjs/cli/bin/nest.js');
const launcher = launcherCommand();
run('cluster', launcher.command, launcher.args, (line) => {
  if (!line.includes(LAUNCHER_READY) || children.has('api')) return;
  for (const app of ['api', 'observer', 'simulator'])
    run(app, process.execPath, [nest, 'start', app], undefined, asLogin(LOGINS[app]));
});
