import { join, resolve } from 'node:path';
import {
  LOCAL_CREDENTIALS,
  LOCAL_ROLES,
  type ClusterRoles,
  type Credentials,
} from '../credentials';

/** How an `HaCluster` is built. Every field is optional; each states its default. */
export interface HaClusterOptions {
  /** etcd's and every node's data, configuration and logs; wiped by `start()`. Default `./.cluster-ha`. */
  dataDir?: string;
  /** How many Patroni nodes (pg0, pg1, ...), 2 to 9. Default 3. */
  nodes?: number;
  /** The address every process listens on and every URL names. Default `127.0.0.1`. */
  host?: string;
  /**
   * One base port for a private cluster (tests, chaos), from which every port
   * is derived (see `haPortSpan`); overrides the three ports below. Default: unset.
   */
  basePort?: number;
  /** Postgres of node i listens on `postgresPort + i`. Default 5433, the port of `npm run cluster`'s primary. */
  postgresPort?: number;
  /** Patroni's REST API of node i listens on `patroniPort + i`. Default 8008, Patroni's own. */
  patroniPort?: number;
  /** etcd's client port; its peer port is the next one. Default 2479, beside etcd's own 2379 (a system etcd may hold it). */
  etcdPort?: number;
  /** Commits wait for one synchronous standby, and only it may be promoted. Default true. */
  synchronous?: boolean;
  /** Postgres' fsync. Off is faster and still loses nothing when a process is killed. Default true. */
  fsync?: boolean;
  /** The superuser (Patroni's too) and the app's database. Default `LOCAL_CREDENTIALS`. */
  credentials?: Credentials;
  /** The app roles of postgres/roles.sql; replicas stream as `replication`. Default `LOCAL_ROLES`. */
  roles?: ClusterRoles;
}

/** `HaClusterOptions` with every default filled in and the ports resolved. */
export interface HaSettings {
  dataDir: string;
  nodes: number;
  host: string;
  postgresPort: number;
  patroniPort: number;
  etcdPort: number;
  synchronous: boolean;
  fsync: boolean;
  credentials: Credentials;
  roles: ClusterRoles;
}

/** One Patroni node: its ports and where its files are. */
export interface HaNode {
  name: string;
  postgresPort: number;
  patroniPort: number;
  /** `<dataDir>/<name>`: Patroni's configuration, pid file and pgpass. */
  dir: string;
  /** The Postgres data directory, `<dir>/data`. */
  pgdata: string;
  configFile: string;
  pidFile: string;
}

/** A port the cluster listens on, what listens there, and the variable that moves it. */
export interface HaPort {
  port: number;
  what: string;
  variable: string;
}

export const MIN_NODES = 2;
export const MAX_NODES = 9;

/**
 * How many consecutive ports a cluster on `basePort` uses: Postgres of node i
 * on base + i, Patroni's REST API on base + nodes + i, then etcd's client and
 * peer ports (base + 2 × nodes, + 1). `findFreeBlock(first, haPortSpan(n))` finds a base.
 */
export function haPortSpan(nodes: number): number {
  return 2 * nodes + 2;
}

/** Fills in the defaults and checks the result; throws naming what is wrong. */
export function resolveHaSettings(options: HaClusterOptions = {}): HaSettings {
  const nodes = options.nodes ?? 3;
  if (!Number.isInteger(nodes) || nodes < MIN_NODES || nodes > MAX_NODES)
    throw new Error(`An HA cluster has ${MIN_NODES} to ${MAX_NODES} nodes, not ${nodes}`);
  const base = options.basePort;
  const settings: HaSettings = {
    dataDir: resolve(options.dataDir ?? '.cluster-ha'),
    nodes,
    host: options.host ?? '127.0.0.1',
    postgresPort: base ?? options.postgresPort ?? 5433,
    patroniPort: base === undefined ? (options.patroniPort ?? 8008) : base + nodes,
    etcdPort: base === undefined ? (options.etcdPort ?? 2479) : base + 2 * nodes,
    synchronous: options.synchronous ?? true,
    fsync: options.fsync ?? true,
    credentials: options.credentials ?? LOCAL_CREDENTIALS,
    roles: options.roles ?? LOCAL_ROLES,
  };
  assertPortsDistinct(haPorts(settings));
  return settings;
}

export function haNodes(settings: HaSettings): HaNode[] {
  return Array.from({ length: settings.nodes }, (_, i) => {
    const name = `pg${i}`;
    const dir = join(settings.dataDir, name);
    return {
      name,
      postgresPort: settings.postgresPort + i,
      patroniPort: settings.patroniPort + i,
      dir,
      pgdata: join(dir, 'data'),
      configFile: join(dir, 'patroni.yml'),
      pidFile: join(dir, 'patroni.pid'),
    };
  });
}

/** Every port of the cluster, in the order the launcher checks them. */
export function haPorts(settings: HaSettings): HaPort[] {
  return [
    ...haNodes(settings).flatMap((n) => [
      { port: n.postgresPort, what: `${n.name}'s Postgres`, variable: 'POSTGRES_PORT' },
      { port: n.patroniPort, what: `${n.name}'s Patroni REST API`, variable: 'PATRONI_PORT' },
    ]),
    { port: settings.etcdPort, what: "etcd's client port", variable: 'ETCD_PORT' },
    { port: settings.etcdPort + 1, what: "etcd's peer port", variable: 'ETCD_PORT' },
  ];
}

function assertPortsDistinct(ports: HaPort[]): void {
  const seen = new Map<number, HaPort>();
  for (const p of ports) {
    if (p.port < 1 || p.port > 65535)
      throw new Error(`${p.what} would be on port ${p.port}: move ${p.variable} into 1-65535`);
    const other = seen.get(p.port);
    if (other)
      throw new Error(
        `${p.what} and ${other.what} would share port ${p.port}: move ${p.variable} or ${other.variable} apart`,
      );
    seen.set(p.port, p);
  }
}
