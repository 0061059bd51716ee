import type {
  ReplicaRoutingOptions,
  ResolvedReplicaRoutingOptions,
} from './interfaces/replica-routing-options.interface';
import { isStatusTableName } from './replica-status.table';
import { PRIMARY_NODE } from './replica-routing.constants';

const DEFAULTS = {
  primaryReadShare: 0,
  replicaWaitMs: 0,
  tokenlessReads: 'primary',
  maxLagBytes: 16 * 1024 * 1024,
  maxReplicaAttempts: 2,
  connectionProofs: true,
  statusTable: 'replica_statuses',
  tokenSecret: '',
  statusRefreshMs: 250,
  poolSize: 10,
  connectTimeoutMs: 2000,
  statementTimeoutMs: 10_000,
  applicationName: 'replica-routing',
  replicaFailureThreshold: 3,
  replicaBenchMs: 5000,
  unreachableReportMs: 5000,
  waitPenaltyMs: 1000,
  primaryCooldownMs: 30_000,
  patroniUrls: [] as string[],
  discoveryIntervalMs: 5000,
  electionWaitMs: 30_000,
} as const;

/** Merges defaults in one place and rejects options that could only fail later. */
export function resolveOptions(options: ReplicaRoutingOptions): ResolvedReplicaRoutingOptions {
  const resolved = {
    ...DEFAULTS,
    ...stripUndefined(options),
    primary: options.primary,
    replicas: (options.replicas ?? []).map((r) => ({ ...r, weight: r.weight ?? 1 })),
    hosts: (options.hosts ?? []).map((r) => ({ ...r, weight: r.weight ?? 1 })),
  } as ResolvedReplicaRoutingOptions;
  const problems = validate(resolved);
  if (problems.length > 0) {
    throw new Error(`replica-routing: invalid options:\n  - ${problems.join('\n  - ')}`);
  }
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function validate(o: ResolvedReplicaRoutingOptions): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, message: string) => ok || problems.push(message);
  if (o.hosts.length > 0) {
    need(
      !o.primary && o.replicas.length === 0,
      'give either hosts (roles discovered) or primary and replicas (roles fixed), not both',
    );
  } else {
    need(!!(o.primary?.url || o.primary?.connection), 'primary: give a url or connection settings');
    need(o.patroniUrls.length === 0, 'patroniUrls needs hosts (the nodes Patroni manages)');
  }
  for (const url of o.patroniUrls)
    need(
      isPatroniBase(url),
      `patroniUrls: ${JSON.stringify(url)} is not an http(s) base URL ` +
        '(http://host:port, with a path if a proxy serves the API under one; no query or credentials)',
    );
  const names = new Set<string>();
  for (const r of [...o.replicas, ...o.hosts]) {
    need(
      /^[A-Za-z0-9_.-]{1,63}$/.test(r.name),
      `replica name ${JSON.stringify(r.name)}: use 1-63 letters, digits, '_', '.' or '-'`,
    );
    need(r.name !== PRIMARY_NODE, `replica name "${PRIMARY_NODE}" is reserved for the primary`);
    need(!names.has(r.name), `replica name ${JSON.stringify(r.name)} is used twice`);
    need(!!(r.url || r.connection), `replica ${r.name}: give a url or connection settings`);
    need(
      Number.isFinite(r.weight) && r.weight >= 0,
      `replica ${r.name}: weight must be a number >= 0`,
    );
    names.add(r.name);
  }
  need(
    o.primaryReadShare >= 0 && o.primaryReadShare <= 1,
    'primaryReadShare must be between 0 and 1',
  );
  need(
    o.tokenlessReads === 'primary' || o.tokenlessReads === 'replica',
    "tokenlessReads must be 'primary' or 'replica'",
  );
  need(
    o.tokenSecret === '' || (typeof o.tokenSecret === 'string' && o.tokenSecret.length >= 16),
    'tokenSecret must have at least 16 characters',
  );
  need(isStatusTableName(o.statusTable), 'statusTable must be a plain lower-case SQL identifier');
  const nonNegative = [
    'replicaWaitMs',
    'maxLagBytes',
    'statusRefreshMs',
    'replicaBenchMs',
    'unreachableReportMs',
    'waitPenaltyMs',
    'primaryCooldownMs',
    'electionWaitMs',
  ] as const;
  for (const key of nonNegative)
    need(Number.isFinite(o[key]) && o[key] >= 0, `${key} must be a number >= 0`);
  const positive = [
    'maxReplicaAttempts',
    'poolSize',
    'connectTimeoutMs',
    'statementTimeoutMs',
    'replicaFailureThreshold',
    'discoveryIntervalMs',
  ] as const;
  for (const key of positive)
    need(Number.isFinite(o[key]) && o[key] > 0, `${key} must be a number > 0`);
  for (const key of ['maxReplicaAttempts', 'poolSize', 'replicaFailureThreshold'] as const)
    need(Number.isInteger(o[key]), `${key} must be a whole number`);
  // Node runs a longer timer after 1 ms.
  for (const key of [...nonNegative, ...positive].filter((k) => k.endsWith('Ms')))
    need(!(o[key] > MAX_TIMER_MS), `${key} must be at most ${MAX_TIMER_MS} (about 24.8 days)`);
  // A pool's client-side query timeout is their sum (node-registry.service.ts): a timer too.
  need(
    !(o.statementTimeoutMs + o.connectTimeoutMs > MAX_TIMER_MS),
    `statementTimeoutMs + connectTimeoutMs must be at most ${MAX_TIMER_MS} (the client-side query timeout)`,
  );
  need(typeof o.connectionProofs === 'boolean', 'connectionProofs must be true or false');
  return problems;
}

/** The longest delay Node's timers take. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A Patroni REST API base URL: http(s), a host, and a path if a proxy serves
 * the API under one (`/cluster` and `/history` are appended to it). No query
 * or fragment (they would end up before the endpoint), and no credentials
 * (fetch refuses a URL that carries them).
 */
function isPatroniBase(url: string): boolean {
  if (/\s/.test(url) || !URL.canParse(url)) return false;
  const u = new URL(url);
  return (
    (u.protocol === 'http:' || u.protocol === 'https:') &&
    u.hostname !== '' &&
    u.username === '' &&
    u.password === '' &&
    u.search === '' &&
    u.hash === '' &&
    !url.includes('?') &&
    !url.includes('#')
  );
}
