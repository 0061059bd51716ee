import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type { Lsn } from './lsn.util';
import { NodeHealth } from './node-health.service';
import { RESOLVED_OPTIONS } from './replica-routing.constants';
import { planRead, type SelectionPlan } from './replica-selection.policy';
import { ReplicaStatusCache } from './replica-status-cache.service';

/** Applies the selection policy to this process's cache and node health. */
@Injectable()
export class ReplicaSelector {
  /** Injectable randomness, so that tests can pin choices. */
  random: () => number = Math.random;

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedReplicaRoutingOptions,
    private readonly cache: ReplicaStatusCache,
    private readonly health: NodeHealth,
  ) {}

  plan(token: Lsn | null, waitMs: number): SelectionPlan {
    const o = this.options;
    return planRead({
      replicas: o.replicas.map((r) => {
        const cached = this.cache.get(r.name);
        return {
          name: r.name,
          weight: r.weight,
          available: this.health.isAvailable(r.name) && (cached?.reachable ?? false),
          lsn: cached?.lsn ?? null,
          lagBytes: cached?.lagBytes ?? null,
        };
      }),
      token,
      tokenlessReads: o.tokenlessReads,
      maxLagBytes: o.maxLagBytes,
      primaryReadShare: o.primaryReadShare,
      maxReplicaAttempts: o.maxReplicaAttempts,
      allowWait: waitMs > 0,
      random: this.random,
    });
  }
}
