import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type { Lsn } from './lsn.util';
import { type NodeState } from './node-state.service';
import { planRead, type SelectionPlan } from './replica-selection.policy';

/** Applies the selection policy to this process's node state. */
export class ReplicaSelector {
  /** Injectable randomness, so that tests can pin choices. */
  random: () => number = Math.random;

  constructor(
    private readonly options: ResolvedReplicaRoutingOptions,
    private readonly state: NodeState,
  ) {}

  plan(token: Lsn | null, when: { forced: boolean; stale: boolean }): SelectionPlan {
    const o = this.options;
    return planRead({
      forced: when.forced,
      stale: when.stale,
      replicas: when.forced ? [] : this.state.candidates(),
      token,
      tokenlessReads: o.tokenlessReads,
      maxLagBytes: o.maxLagBytes,
      primaryReadShare: o.primaryReadShare,
      maxReplicaAttempts: o.maxReplicaAttempts,
      random: this.random,
    });
  }
}
