import type { NodeConnectionOptions } from './replica-routing-options.interface';

export interface ReplicaObserverModuleOptions {
  /** The primary: probed, and where the status table is written. Either this or `hosts`. */
  primary?: NodeConnectionOptions;
  /** The replicas to watch, named as the routers name them. Default: none. */
  replicas?: (NodeConnectionOptions & { name: string })[];
  /**
   * Every node of a cluster whose primary may change, as the routers' `hosts`:
   * the observer follows the same discovery and writes to whoever is primary.
   */
  hosts?: (NodeConnectionOptions & { name: string })[];
  /** As the routers' `patroniUrls`. */
  patroniUrls?: string[];
  /** As the routers' `discoveryIntervalMs`. Default: `5000`. */
  discoveryIntervalMs?: number;
  /** How often every node is asked for its position, in ms. Default: `500`. */
  intervalMs?: number;
  /** Deadline for one node's answer, in ms; a slower node counts as unreachable for that tick. Default: `400`. */
  timeoutMs?: number;
  /** The status table; the same name as the routers' `statusTable`. Default: `'replica_statuses'`. */
  statusTable?: string;
  /** `application_name` sent to Postgres. Default: `'replica-routing-observer'`. */
  applicationName?: string;
  /** How often a one-line summary of a tick is logged, in ms (`0`: every tick). A node going down or coming back is logged at once. Default: `10000`. */
  summaryIntervalMs?: number;
  /** If set, this file is written after every saved tick: a container healthcheck can test its age. Default: none. */
  heartbeatFile?: string;
}

/** The observer's options with every default applied. */
export type ResolvedObserverOptions = Required<
  Omit<
    ReplicaObserverModuleOptions,
    'primary' | 'replicas' | 'hosts' | 'patroniUrls' | 'discoveryIntervalMs' | 'heartbeatFile'
  >
> &
  Pick<ReplicaObserverModuleOptions, 'heartbeatFile'>;
