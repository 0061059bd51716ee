/**
 * `npm run cluster`: a primary and NUM_REPLICAS streaming replicas in the
 * foreground, with POSTGRES_USER as its superuser and the app roles of
 * postgres/roles.sql (development passwords: tools/src/credentials.ts),
 * migrated by the owner role and ready; Ctrl+C (or SIGTERM, or SIGHUP in a
 * terminal) stops them all.
 * `npm run cluster:stop`: stops a cluster left running in DATA_DIR.
 */
import 'reflect-metadata';
import { loadEnv, validateConfig } from '@app/config';
import { migrate } from '@app/rides-schema';
import { ClusterLock } from '../src/cluster/cluster.lock';
import { LAUNCHER_READY } from '../src/cluster/launcher.command';
import { LauncherConfig } from '../src/cluster/launcher.config';
import { LocalCluster } from '../src/cluster/local-cluster';
import { findPostgresBinaries } from '../src/cluster/postgres-binaries';
import { LOCAL_ROLES } from '../src/credentials';
import { assertPortFree } from '../src/process/wait';
import { stopSignals } from '../src/process/stop.signals';

const say = (line: string) => console.log(`launcher | ${line}`);

async function main(): Promise<void> {
  loadEnv();
  const config = validateConfig(LauncherConfig);
  // An app's login exported for `nest start` would otherwise fail later, as "role already exists".
  const appRoles = Object.values(LOCAL_ROLES).map((r) => r.user);
  if (appRoles.includes(config.POSTGRES_USER)) {
    throw new Error(
      `POSTGRES_USER=${config.POSTGRES_USER} names one of the roles the launcher creates (${appRoles.join(', ')}); ` +
        "for the launcher it is the cluster's superuser: unset it here (.env has rocket).",
    );
  }
  const bins = findPostgresBinaries();
  const cluster = new LocalCluster(
    {
      dataDir: config.dataDir,
      host: config.POSTGRES_HOST,
      port: config.POSTGRES_PORT,
      replicas: config.NUM_REPLICAS,
      // The superuser, for administration: no app connects as it.
      user: config.POSTGRES_USER,
      password: config.POSTGRES_PASSWORD,
      database: config.POSTGRES_DB,
      fsync: config.PG_FSYNC === 'on',
    },
    bins,
    (node, line) => console.log(`${node.padEnd(8)} | ${line}`),
  );
  if (process.argv.includes('stop')) {
    await cluster.stopAll('fast');
    say(`stopped every node in ${config.dataDir}`);
    return;
  }

  const lock = new ClusterLock(`${config.dataDir}.lock`);
  lock.acquire();
  let stopping = false;
  const stop = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    say(`${why}: stopping all nodes`);
    const failed = await cluster.stopAll('fast').then(
      () => false,
      (error: unknown) => {
        say(`stop failed: ${String(error)}`);
        return true;
      },
    );
    lock.release();
    // A node may still run (the next launcher refuses its port rather than wipe it): exit 1.
    say(failed ? 'a node may still run: npm run cluster:stop' : 'stopped');
    process.exit(failed ? 1 : code);
  };
  for (const signal of stopSignals()) process.on(signal, () => void stop(signal, 0));

  try {
    for (const node of cluster.nodes)
      await assertPortFree(node.port, node.name, config.POSTGRES_HOST);
    const started = Date.now();
    say(`PostgreSQL ${bins.version} from ${bins.bindir} (${bins.source})`);
    say(`recreating ${config.dataDir}: any data of a previous run is deleted`);
    await cluster.create();
    await cluster.startAll({ foreground: true });
    const { owner, api, observer, replication } = cluster.roles;
    say(
      `roles: ${owner.user} (migrations), ${api.user} (api), ${observer.user} (observer), ` +
        `${replication.user} (replicas); ${config.POSTGRES_USER} is the superuser`,
    );
    await migrate(cluster.urlAs(owner), (line) => say(`migrations: ${line}`));
    const streaming = await cluster.waitStreaming(60_000);
    say(
      `primary on ${config.POSTGRES_HOST}:${config.POSTGRES_PORT}, ` +
        `${streaming.length} replicas streaming (${streaming.join(', ') || 'none'}) ` +
        `in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    console.log(LAUNCHER_READY);
  } catch (error) {
    console.error(`launcher | ${error instanceof Error ? error.message : String(error)}`);
    await stop('start failed', 1);
  }
}

main().catch((error: unknown) => {
  console.error(`launcher | ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
