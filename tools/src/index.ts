// @rocket-rides/dev-tools (`@app/dev-tools`): local Postgres clusters and the apps in process,
// for the e2e tests and the bench and chaos commands. Importing it loads the three apps, so the
// commands that only need a cluster (tools/bin/cluster.ts, start.ts, free-port-block.ts) import
// their files from src/cluster/ directly.
export {
  LOCAL_CREDENTIALS,
  LOCAL_ROLES,
  type ClusterRoles,
  type Credentials,
  type Login,
} from './credentials';
export { LAUNCHER_READY, launcherCommand } from './cluster/launcher.command';
export {
  LocalCluster,
  type ClusterNode,
  type ClusterSettings,
  type StopMode,
} from './cluster/local-cluster';
export { findPostgresBinaries, type PostgresBinaries } from './cluster/postgres-binaries';
export { clusterEnv, startPrivateCluster, type PrivateCluster } from './cluster/private-cluster';
export { HaCluster } from './ha/ha-cluster';
export { PgBouncer, findPgBouncer, type PgBouncerSettings } from './pooler/pgbouncer.process';
export { RedisServer, findRedisServer, type RedisSettings } from './redis/redis.process';
export { haEnv, type HaEnv } from './ha/ha.env';
export { haPortSpan, type HaClusterOptions, type HaNode, type HaSettings } from './ha/ha.settings';
export { type HaMember, type MemberRole } from './ha/patroni.client';
export { startPrivateHaCluster, type PrivateHaCluster } from './ha/private-ha-cluster';
export { databaseEnv, type DatabaseEnv } from './stack/database.env';
export { startApi, type InProcessApi } from './stack/api.starter';
export { startObserver } from './stack/observer.starter';
export {
  startSimulator,
  type InProcessSimulator,
  type SimulationStats,
} from './stack/simulator.starter';
