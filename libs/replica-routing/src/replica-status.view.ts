import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import { formatLsn, type Lsn } from './lsn.util';
import { NodeRegistry } from './node-registry.service';
import { NodeState } from './node-state.service';
import { PRIMARY_NODE, RESOLVED_OPTIONS } from './replica-routing.constants';

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
  healthy: boolean;
  benched_for_ms: number;
  last_error: string | null;
  /**
   * Why a read would not go to this node now (null: it could). Given a token,
   * also whether the node's known position serves a read that needs it.
   */
  why_not: string | null;
  /** Statements this process sent to the node: in all, and for routed work (requests, jobs). */
  queries: { total: number; routed: number };
}

/** The routing picture of this process, for an operator (`GET /replicas`). */
@Injectable()
export class ReplicaStatusView {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedReplicaRoutingOptions,
    private readonly state: NodeState,
    private readonly registry: NodeRegistry,
  ) {}

  /** Every node, the primary first; `token` (a read's required position) makes `why_not` specific. */
  list(token?: Lsn | null): NodeStatus[] {
    const now = this.state.now();
    return [PRIMARY_NODE, ...this.options.replicas.map((r) => r.name)].map((name) => {
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
        healthy: benchedForMs === 0 && r.failures === 0,
        benched_for_ms: benchedForMs,
        last_error: r.lastError,
        why_not: this.state.whyNot(name, token),
        queries: { ...this.registry.queryCount(name) },
      };
    });
  }
}
