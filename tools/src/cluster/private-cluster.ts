import { migrate } from '@app/rides-schema';
import { LOCAL_CREDENTIALS, type Login } from '../credentials';
import { databaseEnv, type DatabaseEnv } from '../stack/database.env';
import { LocalCluster } from './local-cluster';
import { findPostgresBinaries } from './postgres-binaries';

export interface PrivateCluster {
  cluster: LocalCluster;
  /** DATABASE_URL and REPLICA_URLS for the API's config validation: as the API's role. */
  appEnv: DatabaseEnv;
  /** The same, as the observer's role: give these to the observer. */
  observerEnv: DatabaseEnv;
}

/**
 * A throw-away primary and `replicas` streaming replicas (five unless told) in
 * `.cluster-<name>` on `port` and up, migrated (as the owner role), owned by
 * this process (bench, chaos, test:ui, e2e tests that break a cluster). fsync
 * is off.
 */
export async function startPrivateCluster(
  name: string,
  port: number,
  { replicas = 5 }: { replicas?: number } = {},
): Promise<PrivateCluster> {
  const cluster = new LocalCluster(
    {
      dataDir: `${process.cwd()}/.cluster-${name}`,
      host: '127.0.0.1',
      port,
      replicas,
      ...LOCAL_CREDENTIALS,
      fsync: false,
    },
    findPostgresBinaries(),
  );
  try {
    await cluster.create();
    await cluster.startAll({ foreground: true });
    await migrate(cluster.urlAs(cluster.roles.owner));
    await cluster.waitStreaming();
  } catch (error) {
    // The caller never gets the cluster: stop what started, or it outlives the run.
    await cluster.stopAll('immediate').catch(() => undefined);
    throw error;
  }
  return {
    cluster,
    appEnv: clusterEnv(cluster, cluster.roles.api),
    observerEnv: clusterEnv(cluster, cluster.roles.observer),
  };
}

/** Every node of `cluster` as `login`, in the shape the apps' configuration takes. */
export function clusterEnv(cluster: LocalCluster, login: Login): DatabaseEnv {
  const replicas = cluster.nodes
    .slice(1)
    .map((n) => ({ name: n.name, url: cluster.urlAs(login, n.name) }));
  return databaseEnv(cluster.urlAs(login), replicas);
}
