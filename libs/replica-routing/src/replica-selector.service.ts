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
  /** Replicas whose last wait timed out: where they were stuck, and until when. */
  private readonly waitPenalty = new Map<string, { until: number; stuckAt: Lsn | null }>();

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
          available: this.health.isAvailable(r.name) && this.cache.mayTry(r.name),
          lsn: cached?.lsn ?? null,
          lagBytes: cached?.lagBytes ?? null,
          waitable: this.isWaitable(r.name, cached?.lsn ?? null),
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
   * A wait on `name` ran out: the replica is paused or far behind. Until it is
   * seen to move, for at most WAIT_PENALTY_MS, reads do not wait on it again.
   */
  recordWaitTimeout(name: string): void {
    this.waitPenalty.set(name, {
      until: Date.now() + WAIT_PENALTY_MS,
      stuckAt: this.cache.get(name)?.lsn ?? null,
    });
  }

  /** Waitable again once the penalty ran out, or as soon as the replica is seen to move (replay resumed). */
  private isWaitable(name: string, lsn: Lsn | null): boolean {
    const penalty = this.waitPenalty.get(name);
    if (!penalty) return true;
    if (
      penalty.until > Date.now() &&
      (lsn === null || penalty.stuckAt === null || lsn <= penalty.stuckAt)
    )
      return false;
    this.waitPenalty.delete(name);
    return true;
  }
}
