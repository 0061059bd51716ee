/**
 * `npm run start:ha`: the whole system on a Patroni cluster, in one terminal.
 * The cluster first (`npm run cluster:ha`: etcd and HA_NODES nodes, migrated,
 * every replica streaming), then the observer, API_PROCESSES API processes on
 * API_PORT and up, and the simulator, which sends each request to the next
 * API process in turn (API_URLS), so that a ride written through one is read
 * through another; and the API's proxy, where clients connect: HAProxy on
 * PROXY_PORT (docker/haproxy-api.cfg, as in both compose files). The apps are
 * given every node (DATABASE_HOSTS) and Patroni's REST APIs (PATRONI_URLS),
 * and find the leader themselves. Every line is prefixed with its process's
 * name. Ctrl+C (or SIGTERM, or SIGHUP in a terminal) stops the apps, then
 * the cluster, and leaves no process behind.
 */
import 'reflect-metadata';
import { join } from 'node:path';
import { loadEnv, validateConfig } from '@app/config';
import type { Login } from '../src/credentials';
import { HaCluster } from '../src/ha/ha-cluster';
import { HA_LAUNCHER_READY, haLauncherCommand } from '../src/ha/ha-launcher.command';
import { findHaproxy, proxyCommand } from '../src/proxy/haproxy.command';
import { appCommand } from '../src/stack/app.command';
import { ChildProcesses, type StopStage } from '../src/stack/child-processes';
import { waitAllReady } from '../src/stack/http-ready';
import { StartHaConfig } from '../src/stack/start-ha.config';
import { onStopSignals } from '../src/process/stop.signals';

/** What the plain stack is configured by and this one sets itself (or must not pass on). */
const REPLACED = [
  'DATABASE_URL',
  'REPLICA_URLS',
  'DATABASE_HOSTS',
  'PATRONI_URLS',
  'API_URL',
  'API_URLS',
];

function main(): void {
  loadEnv();
  const config = validateConfig(StartHaConfig);
  // Only to derive the addresses: the launcher below runs this same cluster.
  const cluster = new HaCluster(config.clusterOptions());
  const { api, observer } = cluster.settings.roles;
  const apis = config.apiPorts().map((port, i) => ({ name: `api${i}`, port }));
  // Before anything starts: a missing HAProxy stops here, not with a cluster running.
  const haproxy = findHaproxy();
  const names = ['cluster', 'start', 'observer', 'simulator', 'proxy', ...apis.map((a) => a.name)];
  const width = Math.max(...names.map((n) => n.length));
  const say = (line: string) => console.log(`${'start'.padEnd(width)} | ${line}`);

  const processes = new ChildProcesses(width, (name, code, signal) => {
    say(`${name} exited (${signal ?? `code ${code}`}); stopping everything`);
    void stop(code === 0 ? 0 : 1);
  });
  // The apps, stopped first: the simulator alone, so that its final summary counts no errors
  // caused by the APIs going away.
  const appStages: StopStage[] = [
    { names: ['simulator'], group: true },
    { names: [...apis.map((a) => a.name), 'observer', 'proxy'], group: true },
  ];
  let stopping = false;
  /** A second Ctrl+C killed the apps: the run did not end cleanly (exit 1). */
  let forced = false;
  async function stop(code: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    processes.beginStop();
    const clean = await processes.stopInStages([
      ...appStages,
      // The launcher stops etcd and the Patroni nodes itself, replicas first; given the time to.
      { names: ['cluster'], group: false, timeoutMs: 90_000 },
    ]);
    process.exit(clean && !forced ? code : 1);
  }
  onStopSignals(
    () => void stop(0),
    // A second Ctrl+C: the apps skip their drain; the cluster's launcher still stops Patroni and
    // etcd in order.
    (signal) => {
      forced = true;
      say(`${signal} again: killing the apps`);
      processes.kill(appStages.flatMap((stage) => stage.names));
    },
  );

  // The apps' output is a pipe here, not a terminal: ask for readable logs anyway.
  const base: NodeJS.ProcessEnv = {
    LOG_FORMAT: 'pretty',
    // Patroni's ttl (10 s) and a few seconds more, as in docker-compose.ha.yml (the default: 30 s).
    ELECTION_WAIT_MS: '15000',
    ...process.env,
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  };
  for (const name of REPLACED) delete base[name];
  const asLogin = (login: Login) => ({
    ...cluster.env(login),
    POSTGRES_USER: login.user,
    POSTGRES_PASSWORD: login.password,
  });

  const launcher = haLauncherCommand();
  processes.run('cluster', {
    ...launcher,
    env: process.env,
    onLine: (line) => {
      if (!line.includes(HA_LAUNCHER_READY) || processes.has('observer') || stopping) return;
      const observerPort = String(config.observerPort());
      processes.run('observer', {
        ...appCommand('observer'),
        env: { ...base, ...asLogin(observer), OBSERVER_PORT: observerPort },
      });
      for (const a of apis)
        processes.run(a.name, {
          ...appCommand('api'),
          env: { ...base, ...asLogin(api), API_PORT: String(a.port) },
        });
      const urls = apis.map((a) => `http://127.0.0.1:${a.port}`);
      // The simulator waits for every API process to answer /health before its first ride.
      processes.run('simulator', {
        ...appCommand('simulator'),
        env: { ...base, API_URLS: urls.join(',') },
      });
      say(
        `${apis.length} API processes (${urls.join(', ')}), observer on http://127.0.0.1:${observerPort}; ` +
          `dashboard ${urls[0]}/dashboard`,
      );
      // Once the API processes are ready (else its first health checks report them down);
      // from then on its checks take a process out of rotation and back.
      void waitAllReady(
        urls.map((u) => `${u}/health/ready`),
        120_000,
        () => stopping,
      ).then(() => {
        if (stopping) return;
        processes.run(
          'proxy',
          proxyCommand(
            {
              port: config.PROXY_PORT,
              servers: apis,
              maxInFlight: config.API_MAX_IN_FLIGHT,
              queueMs: config.PROXY_QUEUE_MS,
              configFile: join(config.dataDir, 'haproxy.cfg'),
            },
            haproxy,
          ),
        );
        say(
          `proxy http://127.0.0.1:${config.PROXY_PORT}: where clients connect (HAProxy over the ` +
            `${apis.length} API processes, ${config.API_MAX_IN_FLIGHT} requests at once each, queue ${config.PROXY_QUEUE_MS} ms)`,
        );
      });
    },
  });
}

try {
  main();
} catch (error) {
  console.error(`start | ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
