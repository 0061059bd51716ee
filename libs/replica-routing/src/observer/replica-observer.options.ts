import type {
  ReplicaObserverModuleOptions,
  ResolvedObserverOptions,
} from '../interfaces/replica-observer-options.interface';
import type { ResolvedReplicaRoutingOptions } from '../interfaces/replica-routing-options.interface';
import { resolveOptions } from '../replica-routing.options';

const DEFAULTS = {
  intervalMs: 500,
  timeoutMs: 400,
  statusTable: 'replica_statuses',
  applicationName: 'replica-routing-observer',
  summaryIntervalMs: 10_000,
} as const;

/** The observer's own settings, defaults merged and checked. */
export function resolveObserverOptions(o: ReplicaObserverModuleOptions): ResolvedObserverOptions {
  const resolved = {
    ...DEFAULTS,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
  } as ResolvedObserverOptions & ReplicaObserverModuleOptions;
  const problems: string[] = [];
  if (!(Number.isFinite(resolved.intervalMs) && resolved.intervalMs >= 10))
    problems.push('intervalMs must be a number >= 10');
  if (!(Number.isFinite(resolved.timeoutMs) && resolved.timeoutMs > 0))
    problems.push('timeoutMs must be a number > 0');
  if (!(Number.isFinite(resolved.summaryIntervalMs) && resolved.summaryIntervalMs >= 0))
    problems.push('summaryIntervalMs must be a number >= 0');
  if (problems.length > 0)
    throw new Error(`ReplicaObserverModule: invalid options:\n  - ${problems.join('\n  - ')}`);
  return resolved;
}

/** The node settings the observer's pools use: small, and no slower than its deadline. */
export function observerNodeOptions(
  o: ReplicaObserverModuleOptions,
): ResolvedReplicaRoutingOptions {
  const observer = resolveObserverOptions(o);
  return resolveOptions({
    primary: o.primary,
    replicas: o.replicas,
    hosts: o.hosts,
    patroniUrls: o.patroniUrls,
    discoveryIntervalMs: o.discoveryIntervalMs,
    statusTable: observer.statusTable,
    statusRefreshMs: 0,
    poolSize: 2,
    connectTimeoutMs: observer.timeoutMs,
    statementTimeoutMs: observer.timeoutMs,
    applicationName: observer.applicationName,
  });
}
