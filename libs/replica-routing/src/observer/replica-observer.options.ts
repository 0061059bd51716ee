import type {
  ReplicaObserverModuleOptions,
  ResolvedObserverOptions,
} from '../interfaces/replica-observer-options.interface';
import type { ResolvedReplicaRoutingOptions } from '../interfaces/replica-routing-options.interface';
import { MAX_TIMER_MS, resolveOptions } from '../replica-routing.options';

const between = (n: number, min: number, max: number) => n >= min && n <= max;

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
  // Node's timers fire at once above 2^31-1 ms; the pools' query timeout is twice `timeoutMs`.
  if (!(Number.isInteger(resolved.intervalMs) && between(resolved.intervalMs, 10, MAX_TIMER_MS)))
    problems.push(`intervalMs must be a whole number from 10 to ${MAX_TIMER_MS}`);
  if (!(Number.isInteger(resolved.timeoutMs) && between(resolved.timeoutMs, 1, MAX_TIMER_MS / 2)))
    problems.push(`timeoutMs must be a whole number from 1 to ${Math.floor(MAX_TIMER_MS / 2)}`);
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
