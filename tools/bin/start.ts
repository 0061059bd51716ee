/**
 * `npm start`: the whole system in one terminal, like the original's forego.
 * The cluster first (recreated, migrated, every replica streaming) and a
 * private redis-server (REDIS_PORT, default 6380; append-only file in
 * ./.redis), then `nest start api|observer|streamer|consumer|simulator`
 * (the consumer twice: consumer1 runs the build consumer0's `nest start`
 * made, once consumer0 listens), every line prefixed with
 * its process name; the apps log in as their own roles. As in the seed,
 * failures are injected into the log: 10 % of the streamer's batches fail
 * after publishing, 10 % of the consumers' before committing. Ctrl+C (or
 * SIGTERM, or SIGHUP in a terminal) stops the apps, then Redis and the
 * cluster, and leaves no process behind.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { LAUNCHER_READY, launcherCommand } from '../src/cluster/launcher.command';
import { LOCAL_ROLES, type Login } from '../src/credentials';
import { prefixed } from '../src/process/child.process';
import { envNumber, PORT } from '../src/process/env.number';
import { listening, waitUntil } from '../src/process/wait';
import { findRedisServer, redisServerArgs } from '../src/redis/redis.process';
import { ChildProcesses, type StopStage } from '../src/stack/child-processes';
import { onStopSignals } from '../src/process/stop.signals';

const NAMES = [
  'cluster',
  'redis',
  'api',
  'observer',
  'streamer',
  'consumer0',
  'consumer1',
  'simulator',
];
const LOG_APPS = ['streamer', 'consumer0', 'consumer1'];
/** `make()`, or a one-line reason and exit 1 (a bad setting, a missing binary): before anything starts. */
function orExit<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    console.error(prefixed('start', error instanceof Error ? error.message : String(error)));
    process.exit(1);
  }
}

const REDIS_PORT = orExit(() => envNumber('REDIS_PORT', 6380, PORT));
const WIDTH = Math.max(...NAMES.map((n) => n.length));

const processes = new ChildProcesses(WIDTH, (name, code, signal) => {
  console.log(
    prefixed('start', `${name} exited (${signal ?? `code ${code}`}); stopping everything`, WIDTH),
  );
  void stop(code === 0 ? 0 : 1);
});
let stopping = false;
/** A second Ctrl+C killed the apps: the run did not end cleanly (exit 1). */
let forced = false;

/**
 * The apps, stopped first: the simulator alone, so that its final summary counts no errors caused
 * by the API going away.
 */
const APP_STAGES: StopStage[] = [
  { names: ['simulator'], group: true },
  { names: ['api', 'observer', ...LOG_APPS], group: true },
];

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  processes.beginStop();
  const clean = await processes.stopInStages([
    ...APP_STAGES,
    { names: ['redis'], group: false },
    // The launcher stops its Postgres nodes itself (fast shutdown), so only it is signalled.
    { names: ['cluster'], group: false },
  ]);
  process.exit(clean && !forced ? code : 1);
}

onStopSignals(
  () => void stop(0),
  // A second Ctrl+C: the apps skip their drain. Redis and the cluster still stop as before
  // (their launcher's fast shutdown takes a second or two).
  (signal) => {
    forced = true;
    console.log(prefixed('start', `${signal} again: killing the apps`, WIDTH));
    processes.kill(APP_STAGES.flatMap((stage) => stage.names));
  },
);

/** The apps' output is a pipe here, not a terminal: ask for readable logs anyway. */
const childEnv = (env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  LOG_FORMAT: 'pretty',
  ...process.env,
  NO_COLOR: '1',
  FORCE_COLOR: '0',
  ...env,
});

/** Who each app logs in as (the launcher's roles); the simulator only speaks HTTP. */
const LOGINS: Record<string, Login | undefined> = {
  api: LOCAL_ROLES.api,
  observer: LOCAL_ROLES.observer,
  streamer: LOCAL_ROLES.log,
  consumer0: LOCAL_ROLES.log,
  consumer1: LOCAL_ROLES.log,
};
const asLogin = (login: Login | undefined) =>
  login ? { POSTGRES_USER: login.user, POSTGRES_PASSWORD: login.password } : {};
const LOG_ENV = {
  REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}`,
  // Empty counts as unset, as the apps' own settings do.
  STREAMER_FAIL_RATE: process.env.STREAMER_FAIL_RATE || '0.1',
  CONSUMER_FAIL_RATE: process.env.CONSUMER_FAIL_RATE || '0.1',
};
/** consumer<i>'s metrics and health port. */
const consumerPort = (i: number) => 5008 + i;
const consumer = (i: number) => ({
  name: `consumer${i}`,
  project: 'consumer',
  env: { ...LOG_ENV, CONSUMER_NAME: `consumer${i}`, CONSUMER_PORT: String(consumerPort(i)) },
});
/** The nest project each process runs, and what it is told besides. */
const APPS: { name: string; project: string; env: NodeJS.ProcessEnv }[] = [
  { name: 'api', project: 'api', env: {} },
  { name: 'observer', project: 'observer', env: {} },
  { name: 'streamer', project: 'streamer', env: LOG_ENV },
  consumer(0),
  { name: 'simulator', project: 'simulator', env: {} },
];
/**
 * The second consumer runs what the first one's `nest start consumer` built, once that one
 * listens (whatever LOG_LEVEL hides): two builds of one project at once write the same dist/
 * files, and a process could load one half written.
 */
const SECOND_CONSUMER = consumer(1);
const CONSUMER_MAIN = 'dist/apps/consumer/apps/consumer/src/main.js';

async function startSecondConsumer(env: NodeJS.ProcessEnv): Promise<void> {
  await waitUntil(() => stopping || listening(consumerPort(0)), {
    timeoutMs: 600_000,
    what: 'consumer0 to listen',
    intervalMs: 500,
  });
  if (!stopping)
    processes.run(SECOND_CONSUMER.name, {
      command: process.execPath,
      args: [CONSUMER_MAIN],
      env,
    });
}

// Redis for the unified log: private port and data directory, append-only file on. It is a copy
// of the cluster's outbox, and the cluster is recreated on every start: so is its data directory
// (a stream kept from an earlier cluster would run ahead of the new outbox).
rmSync('.redis', { recursive: true, force: true });
mkdirSync('.redis', { recursive: true });
processes.run('redis', {
  command: orExit(findRedisServer),
  args: redisServerArgs({ dir: `${process.cwd()}/.redis`, port: REDIS_PORT }),
  env: childEnv(),
});

const nest = require.resolve('@nestjs/cli/bin/nest.js');
processes.run('cluster', {
  ...launcherCommand(),
  env: childEnv(),
  onLine: (line) => {
    if (!line.includes(LAUNCHER_READY) || processes.has('api') || stopping) return;
    const env = (app: (typeof APPS)[number]) =>
      childEnv({ ...asLogin(LOGINS[app.name]), ...app.env });
    for (const app of APPS)
      processes.run(app.name, {
        command: process.execPath,
        args: [nest, 'start', app.project],
        env: env(app),
      });
    startSecondConsumer(env(SECOND_CONSUMER)).catch((error: unknown) => {
      console.error(prefixed('start', `consumer1: ${String(error)}`, WIDTH));
      void stop(1);
    });
  },
});
