import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import { formatLsn, type Lsn } from './lsn.util';
import { type NodeRegistry } from './node-registry.service';
import { type NodeState } from './node-state.service';
import { PRIMARY_NODE } from './replica-routing.constants';
import type { QueryCount } from './query-count';
import { type StatusRefresher } from './status-refresher.service';

export interface NodeStatus {
  name: string;
  role: 'primary' | 'replica';
  /** Last known position (replayed, or for the primary the highest seen). */
  lsn: string | null;
  /** Age of that position in ms; null when never observed. */
  age_ms: number | null;
  source: 'observer' | 'read' | null;
  reachable: boolean | null;
  lag_bytes: number | null;
  /** Seconds since the last transaction the replica replayed was committed (observer). */
  lag_seconds: number | null;
  healthy: boolean;
  benched_for_ms: number;
  last_error: string | null;
  /**
   * Why a read would not go to this node now (null: it could). Given a token,
   * also whether the node's known position serves a read that needs it.
   */
  why_not: string | null;
  /** Statements this process sent to the node: in all, and for routed work (requests, jobs), and its round trips. */
  queries: QueryCount;
}

export interface Readiness {
  ready: boolean;
  /** Why not, when not ready. */
  reasons: string[];
}

/** The routing picture of this process, for an operator (`GET /replicas`) and a readiness probe. */
export class ReplicaStatusView {
  constructor(
    private readonly options: ResolvedReplicaRoutingOptions,
    private readonly state: NodeState,
    private readonly registry: NodeRegistry,
    private readonly refresher: StatusRefresher,
  ) {}

  /**
   * Not ready while no node can serve (the primary behind its breaker and no
   * replica usable), or while the replica positions are older than
   * `maxStatusAgeMs` (default: 20 refresh periods, at least 5 s; with `hosts`
   * at least `electionWaitMs` + 5 s, as the observer cannot write them while
   * there is no primary) because the status table cannot be read. A load
   * balancer that takes every process out during an election would refuse
   * the reads replicas can still serve.
   */
  readiness(
    maxStatusAgeMs = Math.max(
      5000,
      20 * this.options.statusRefreshMs,
      this.options.hosts.length > 0 ? this.options.electionWaitMs + 5000 : 0,
    ),
  ): Readiness {
    const reasons: string[] = [];
    const replicas = this.registry.replicaNames;
    const primary = this.state.whyNot(PRIMARY_NODE);
    if (primary !== null && replicas.every((name) => this.state.whyNot(name) !== null))
      reasons.push(`the primary is ${primary}, and no replica can serve`);
    if (replicas.length > 0 && this.options.statusRefreshMs > 0) {
      const at = this.refresher.lastRefreshedAt;
      const age = at === undefined ? undefined : Math.round(this.state.elapsed() - at);
      if (age === undefined || age > maxStatusAgeMs)
        reasons.push(
          age === undefined
            ? 'replica positions were never loaded from the status table'
            : `replica positions are ${age} ms old (more than ${maxStatusAgeMs} ms)`,
        );
    }
    return { ready: reasons.length === 0, reasons };
  }

  /** Every node, the primary first; `token` (a read's required position) makes `why_not` specific. */
  list(token?: Lsn | null): NodeStatus[] {
    const now = this.state.now();
    return this.registry.names.map((name) => {
      const r = this.state.get(name);
      const primary = name === PRIMARY_NODE;
      const benchedForMs = this.state.retryInMs(name);
      return {
        name,
        role: primary ? 'primary' : 'replica',
        lsn: r.lsn === null ? null : formatLsn(r.lsn),
        age_ms: primary || r.observedAt === null ? null : Math.max(0, now - r.observedAt),
        source: primary ? null : r.source,
        reachable: primary || r.observedAt === null ? null : r.reachable,
        lag_bytes: primary ? 0 : r.lagBytes,
        lag_seconds: primary ? 0 : r.lagSeconds,
        healthy: benchedForMs === 0 && r.failures === 0,
        benched_for_ms: benchedForMs,
        last_error: r.lastError,
        why_not: this.state.whyNot(name, token),
        queries: { ...this.registry.queryCount(name) },
      };
    });
  }
}
