import { migrate } from '@app/rides-schema';
import { LOCAL_CREDENTIALS } from '../credentials';
import { databaseEnv, type DatabaseEnv } from '../stack/database.env';
import { LocalCluster } from './local-cluster';
import { findPostgresBinaries } from './postgres-binaries';

export interface PrivateCluster {
  cluster: LocalCluster;
  /** DATABASE_URL and REPLICA_URLS for the apps' config validation. */
  appEnv: DatabaseEnv;
}

/**
 * A throw-away primary and five streaming replicas in `.cluster-<name>` on
 * `port` and up, migrated, owned by this process (bench, chaos). fsync is off.
 */
export async function startPrivateCluster(name: string, port: number): Promise<PrivateCluster> {
  const cluster = new LocalCluster(
    {
      dataDir: `${process.cwd()}/.cluster-${name}`,
      host: '127.0.0.1',
      port,
      replicas: 5,
      ...LOCAL_CREDENTIALS,
      fsync: false,
    },
    findPostgresBinaries(),
  );
  await cluster.create();
  await cluster.startAll({ foreground: true });
  await migrate(cluster.url());
  await cluster.waitStreaming();
  const replicas = cluster.nodes.slice(1).map((n) => ({ name: n.name, url: cluster.url(n.name) }));
  return { cluster, appEnv: databaseEnv(cluster.url(), replicas) };
}
