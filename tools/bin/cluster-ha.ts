/**
 * `npm run cluster:ha`: a Patroni cluster in the foreground: one etcd and
 * HA_NODES nodes (pg0 on POSTGRES_PORT, pg1 on the next port, ...; Patroni's
 * REST API on PATRONI_PORT and up), with the app roles of postgres/roles.sql,
 * migrated by the owner role and ready once every replica streams. Then it
 * says each change of leader or of the streaming replicas. Ctrl+C (or
 * SIGTERM, or SIGHUP in a terminal) stops it all.
 * `npm run cluster:ha:stop`: stops a cluster left running in HA_DATA_DIR.
 */
import 'reflect-metadata';
import { loadEnv, validateConfig } from '@app/config';
import { ClusterLock } from '../src/cluster/cluster.lock';
import { HaCluster } from '../src/ha/ha-cluster';
import { findHaBinaries } from '../src/ha/ha.binaries';
import { HA_LAUNCHER_READY } from '../src/ha/ha-launcher.command';
import { HaLauncherConfig } from '../src/ha/ha-launcher.config';
import { HaWatcher } from '../src/ha/ha.watcher';
import { stopSignals } from '../src/process/stop.signals';

const say = (line: string) => console.log(`launcher | ${line}`);

async function main(): Promise<void> {
  loadEnv();
  const config = validateConfig(HaLauncherConfig);
  const cluster = new HaCluster(
    config.clusterOptions(),
    (node, line) => console.log(`${node.padEnd(8)} | ${line}`),
    // etcd stops last: gone by SIGTERM (or code 0) means `npm run cluster:ha:stop` took the
    // cluster away; any other end is a crash, and the run failed.
    (name, code, signal) => {
      if (name !== 'etcd') return;
      const asked = code === 0 || signal === 'SIGTERM';
      void stop(`etcd exited (${signal ?? `code ${code}`})`, asked ? 0 : 1);
    },
  );
  if (process.argv.includes('stop')) {
    await cluster.stop();
    say(`stopped every node and etcd in ${config.dataDir}`);
    return;
  }

  const lock = new ClusterLock(`${config.dataDir}.lock`, 'HA_DATA_DIR and the ports');
  lock.acquire();
  const watcher = new HaWatcher(cluster, say);
  let stopping = false;
  async function stop(why: string, code: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    watcher.stop();
    say(`${why}: stopping the replicas, then the leader, then etcd`);
    const failed = await cluster.stop().then(
      () => false,
      (error: unknown) => {
        say(`stop failed: ${String(error)}`);
        return true;
      },
    );
    lock.release();
    // A node may still run (the next launcher refuses its port rather than wipe it): exit 1.
    say(failed ? 'a node may still run: npm run cluster:ha:stop' : 'stopped');
    process.exit(failed ? 1 : code);
  }
  for (const signal of stopSignals()) process.on(signal, () => void stop(signal, 0));

  try {
    const started = Date.now();
    const bins = findHaBinaries();
    say(
      `PostgreSQL ${bins.postgres.version} from ${bins.postgres.bindir} (${bins.postgres.source}), ` +
        `Patroni ${bins.patroni}, etcd ${bins.etcd}`,
    );
    say(
      `recreating ${config.dataDir}: any data of a previous run is deleted; ` +
        `logs in ${cluster.logFile('<name>')}`,
    );
    await cluster.start();
    const members = await cluster.members();
    const leader = members.find((m) => m.role === 'leader')!;
    const replicas = members
      .filter((m) => m !== leader)
      .map((m) => `${m.name}${m.role === 'sync_standby' ? ' (sync)' : ''} on ${m.host}:${m.port}`);
    say(
      `leader ${leader.name} on ${leader.host}:${leader.port}; streaming replicas ${replicas.join(', ')}; ` +
        `ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    say(`Patroni REST API: ${cluster.patroniUrls().join(' ')}`);
    const env = cluster.env();
    say(`for the apps: DATABASE_HOSTS=${env.DATABASE_HOSTS}`);
    say(`              PATRONI_URLS=${env.PATRONI_URLS}`);
    console.log(HA_LAUNCHER_READY);
    if (!stopping) await watcher.start();
  } catch (error) {
    console.error(`launcher | ${error instanceof Error ? error.message : String(error)}`);
    await stop('start failed', 1);
  }
}

main().catch((error: unknown) => {
  console.error(`launcher | ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
