import { findFreeBlock } from '../process/wait';
import { HaCluster } from './ha-cluster';
import type { HaEnv } from './ha.env';
import { haPortSpan, type HaClusterOptions } from './ha.settings';

export interface PrivateHaCluster {
  cluster: HaCluster;
  /** DATABASE_HOSTS and PATRONI_URLS as the API's role. */
  appEnv: HaEnv;
  /** The same as the observer's role. */
  observerEnv: HaEnv;
}

/**
 * A throw-away HA cluster in `.cluster-ha-<name>` on the first free block of
 * ports from `port` (see `haPortSpan`), migrated, every replica streaming,
 * owned by this process (e2e tests, chaos): call `cluster.stop()` when done.
 * fsync is off unless `options` say otherwise.
 */
export async function startPrivateHaCluster(
  name: string,
  port: number,
  options: HaClusterOptions = {},
  log?: (node: string, line: string) => void,
  /** Told of the cluster before it starts: a signal meanwhile can stop it. */
  created?: (cluster: HaCluster) => void,
): Promise<PrivateHaCluster> {
  const nodes = options.nodes ?? 3;
  const basePort = await findFreeBlock(port, haPortSpan(nodes));
  const cluster = new HaCluster(
    { dataDir: `${process.cwd()}/.cluster-ha-${name}`, fsync: false, ...options, nodes, basePort },
    log,
  );
  created?.(cluster);
  try {
    await cluster.start();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  const { api, observer } = cluster.settings.roles;
  return { cluster, appEnv: cluster.env(api), observerEnv: cluster.env(observer) };
}
