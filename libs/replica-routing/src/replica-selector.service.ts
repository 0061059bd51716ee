import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type { Lsn } from './lsn.util';
import { NodeHealth } from './node-health.service';
import { RESOLVED_OPTIONS } from './replica-routing.constants';
import { planRead, type SelectionPlan } from './replica-selection.policy';
import { ReplicaStatusCache } from './replica-status-cache.service';

export const WAIT_PENALTY_MS = 1000;

/** Applies the selection policy to this process's cache and node health. */
@Injectable()
export class ReplicaSelector {
  /** Injectable randomness, so that tests can pin choices. */
  random: () => number = Math.random;
  /** Replicas whose last wait timed out, until when they are not waited on. */
  private readonly waitPenalty = new Map<string, number>();

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
          waitable: (this.waitPenalty.get(r.name) ?? 0) <= Date.now(),
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

  /**
   * A wait on `name` ran out: the replica is paused or far behind. For the next
   * WAIT_PENALTY_MS reads go straight to the primary instead of waiting on it again.
   */
  recordWaitTimeout(name: string): void {
    this.waitPenalty.set(name, Date.now() + WAIT_PENALTY_MS);
  }
}
