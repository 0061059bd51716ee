import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import { formatLsn } from './lsn.util';
import { NodeHealth } from './node-health.service';
import { NodeRegistry } from './node-registry.service';
import { PRIMARY_NODE, RESOLVED_OPTIONS } from './replica-routing.constants';
import { ReplicaStatusCache } from './replica-status-cache.service';

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
  /** Statements this process sent to the node: in all, and inside routing scopes (requests, jobs). */
  queries: { total: number; routed: number };
}

/** The routing picture of this process, for an operator (`GET /replicas`). */
@Injectable()
export class ReplicaStatusView {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedReplicaRoutingOptions,
    private readonly cache: ReplicaStatusCache,
    private readonly health: NodeHealth,
    private readonly registry: NodeRegistry,
  ) {}

  list(): NodeStatus[] {
    const now = Date.now();
    const primary = this.health.view(PRIMARY_NODE);
    const primaryLsn = this.cache.primaryLsn;
    return [
      {
        name: PRIMARY_NODE,
        role: 'primary',
        lsn: primaryLsn === null ? null : formatLsn(primaryLsn),
        age_ms: null,
        source: null,
        reachable: null,
        lag_bytes: 0,
        healthy: primary.healthy,
        benched_for_ms: primary.benchedForMs,
        last_error: primary.lastError,
        queries: { ...this.registry.queryCount(PRIMARY_NODE) },
      },
      ...this.options.replicas.map(({ name }) => {
        const cached = this.cache.get(name);
        const health = this.health.view(name);
        return {
          name,
          role: 'replica' as const,
          lsn: cached?.lsn != null ? formatLsn(cached.lsn) : null,
          age_ms: cached ? Math.max(0, now - cached.observedAt) : null,
          source: cached?.source ?? null,
          reachable: cached?.reachable ?? null,
          lag_bytes: cached?.lagBytes ?? null,
          healthy: health.healthy,
          benched_for_ms: health.benchedForMs,
          last_error: health.lastError,
          queries: { ...this.registry.queryCount(name) },
        };
      }),
    ];
  }
}
