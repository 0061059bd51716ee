import { ENTITIES } from '@app/rides-schema';
import type { ReplicaRoutingModuleOptions } from '@app/replica-routing/nest';
import { typeormAdapter } from '@app/replica-routing/typeorm';
import { probeRoutePatterns } from '../http/probe-paths';
import type { ApiConfig } from './api.config';

export function routingOptions(config: ApiConfig): ReplicaRoutingModuleOptions {
  const nodes = config.routingNodes();
  const weights = config.weights();
  const weighted = (list: { name: string; url: string }[]) =>
    list.map((r) => ({ ...r, weight: weights.get(r.name) ?? 1 }));
  return {
    ...('hosts' in nodes
      ? { ...nodes, hosts: weighted(nodes.hosts) }
      : { primary: nodes.primary, replicas: weighted(nodes.replicas) }),
    adapter: typeormAdapter({ entities: ENTITIES }),
    // Probes and scrapes read no rides: no routing scope, and no token of theirs is ever checked.
    http: { exclude: probeRoutePatterns() },
    tokenlessReads: config.TOKENLESS_READS,
    primaryReadShare: config.PRIMARY_READ_SHARE,
    replicaWaitMs: config.REPLICA_WAIT_MS,
    connectionProofs: config.REPLICA_CONNECTION_PROOFS === 'true',
    statusRefreshMs: config.STATUS_REFRESH_MS,
    primaryCooldownMs: config.PRIMARY_COOLDOWN_MS,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    tokenSecret: config.TOKEN_SECRET,
    applicationName: 'rocket-rides-api',
  };
}
