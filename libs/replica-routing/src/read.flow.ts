import {
  describeError,
  isReadOnlyRefusal,
  isRetryableElsewhere,
  isStatementError,
  isTransient,
  needsPrimary,
} from './db-errors.util';
import { NoNodeAvailableError } from './exceptions/no-node-available.exception';
import { PrimaryUnavailableError } from './exceptions/primary-unavailable.exception';
import type { ElectionWait } from './election.wait';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type { ReadOptions, Routed, Work } from './interfaces/routed.interface';
import type { ConsistencyTokens } from './consistency-tokens.service';
import { formatLsn, type Lsn } from './lsn.util';
import { routingMetrics } from './metrics/routing.metrics';
import { admitAttempt, attemptFailed } from './node-attempt';
import { markedCommitUnknown } from './commit-unknown';
import type { Outcome, ReplicaAnswer } from './interfaces/node-answers.interface';
import type { NodeExecutor } from './node-executor.service';
import type { NodeObservations } from './node.observations';
import type { NodeState } from './node-state.service';
import type { Admission } from './node-record';
import { PRIMARY_NODE } from './replica-routing.constants';
import type { ReplicaSelector } from './replica-selector.service';
import { readOutcome } from './replica-selection.policy';
import type { RoutingContext } from './routing-context.service';
import type { Position } from './position';
import type { TopologyDiscovery } from './topology/topology-discovery.service';
import type { Topology } from './topology/topology.service';

/**
 * One read: the position it must see (its token, its scope's, a freshness
 * bound), the nodes to try in order, and each try: on a replica only if the
 * replica proves in-band that it has replayed that position, else on the
 * primary (docs/design.md, "How a read flows").
 */
export class ReadFlow<H> {
  constructor(
    private readonly options: ResolvedReplicaRoutingOptions,
    private readonly context: RoutingContext,
    private readonly selector: ReplicaSelector,
    private readonly executor: NodeExecutor<H>,
    private readonly state: NodeState,
    private readonly tokens: ConsistencyTokens,
    private readonly topology: Topology,
    private readonly discovery: TopologyDiscovery,
    private readonly observations: NodeObservations,
    private readonly election: ElectionWait,
  ) {}

  async once<T>(work: Work<T, H>, options: ReadOptions): Promise<Routed<T>> {
    const scope = this.context.current();
    const floor = this.freshnessFloor(options.freshWithinMs);
    // No recent sample of the primary's position: the primary first. If it cannot answer (it is
    // down, so nothing newer than its last known position can be committed), replicas that have
    // that position may; if it is only busy, nothing may (docs/design.md, "What each failure does").
    let stale = floor === null;
    let lastKnown = stale ? this.state.primaryLsn : null;
    const given = this.tokens.toPosition(options.token);
    const known = this.onCurrent(floor ?? lastKnown);
    let asked: Position | null;
    if (!this.topology.mergesBlind(given, scope?.position, known))
      asked = this.topology.later(this.topology.later(given, scope?.position), known);
    else {
      asked = await this.onCurrentHistory(given, scope?.position);
      // The timeline moved meanwhile: what was known of the primary is of the one left. Nothing.
      if (asked && known && asked.tli !== known.tli) [stale, lastKnown] = [true, null];
      else asked = this.topology.later(asked, known);
    }
    // Resolved at once when the position is on the current history (a read's usual case).
    const now = asked === null ? null : this.topology.resolve(asked);
    const token = asked === null ? null : now?.ok ? now.lsn : await this.resolve(asked);
    // A replica must stream the current timeline (or the token's, while none is known): read
    // after resolving, which discovers a newer timeline that the token names.
    const tli = this.topology.timeline ?? asked?.tli ?? null;
    const cover = options.cover ?? true;
    const waitMs = options.waitMs ?? this.options.replicaWaitMs;
    const forced =
      options.primary === true ||
      scope?.primary === true ||
      scope?.unsettled === true ||
      (stale && lastKnown === null) ||
      // No timeline known yet (a start during an outage): no replica can show it is on the token's.
      (this.topology.timeline === null && asked?.tli != null);
    const plan = this.selector.plan(token, { forced, stale });
    const order = plan.order;
    const attempts: string[] = [];
    let lastError: unknown;
    let primaryError: unknown;
    let writes = false;
    for (let i = 0; i < order.length; i++) {
      const node = order[i]!;
      // A work no standby can run (serializable mode, a write) goes to the primary: no more replicas.
      if (node !== PRIMARY_NODE && (writes || needsPrimary(lastError))) continue;
      try {
        let outcome: Outcome<T> | undefined;
        if (node === PRIMARY_NODE) outcome = await this.readOnPrimary(work, cover, writes, asked);
        else {
          // Awaited here, not chained: no promise of its own on every read.
          const admitted = admitAttempt(this.state, node);
          const opts = { waitMs: i === 0 ? waitMs : 0, cover };
          let answer: ReplicaAnswer<T>;
          try {
            answer = await this.executor.readOnReplica(node, token, tli, work, opts);
          } catch (error) {
            throw attemptFailed(this.state, node, error, admitted);
          }
          outcome = this.recordAnswer(node, tli, answer, admitted);
        }
        if (!outcome) {
          attempts.push(
            `${node}: not at ${token === null ? 'a known position' : formatLsn(token)} yet`,
          );
          continue;
        }
        if (this.discovery.raisesBlind(scope, outcome.token)) await this.discovery.awaitHistory();
        scope?.raise(outcome.token);
        scope?.recordServedBy(node);
        routingMetrics.reads.inc({
          node,
          outcome: lastError !== undefined ? 'retried' : readOutcome(node, plan),
        });
        const position = this.topology.later(outcome.token, asked);
        return { result: outcome.result, servedBy: node, token: position?.lsn ?? null, position };
      } catch (error) {
        // A work that may have written is never run again, here or elsewhere.
        if (markedCommitUnknown(error)) throw error;
        if (!(error instanceof PrimaryUnavailableError) && !isRetryableElsewhere(error))
          throw error;
        // The primary's own answer to the statement (a statement timeout, a serialization
        // failure): the caller's to see, not an outage. What only a standby says means it is one.
        const standbySays = isReadOnlyRefusal(error) || needsPrimary(error);
        if (node === PRIMARY_NODE && isStatementError(error) && !standbySays) throw error;
        if (node === PRIMARY_NODE) {
          // Only busy, not down: it may be committing what a replica at its last known position lacks.
          if (stale && isTransient((error as { cause?: unknown }).cause)) throw error;
          primaryError = error;
          void this.discovery.refresh();
        }
        attempts.push(`${node}: ${describeError(error)}`);
        lastError = error;
        // A standby refused it as read-only: the work writes (see NodeExecutor.readOnPrimary).
        if (node !== PRIMARY_NODE && isReadOnlyRefusal(error)) writes = true;
      }
    }
    const failure =
      order.length === 1 && lastError instanceof PrimaryUnavailableError
        ? lastError
        : new NoNodeAvailableError(attempts, lastError);
    if (primaryError !== undefined) this.election.rememberPrimaryFailure(failure, primaryError);
    throw failure;
  }

  /** A position known of the primary on the current timeline. */
  private onCurrent(lsn: Lsn | null): Position | null {
    return lsn === null ? null : { tli: this.topology.timeline, lsn };
  }

  /**
   * Positions of different timelines, where an earlier one ended not known
   * yet: each is resolved onto the current timeline first (which waits for the
   * history), so that merging them guesses nothing; one whose write was lost
   * fails the read with `WriteLostError`. Resolving one may reveal a newer
   * timeline: then all are resolved again against it.
   */
  private async onCurrentHistory(
    ...positions: (Position | null | undefined)[]
  ): Promise<Position | null> {
    for (;;) {
      const tli = this.topology.timeline;
      let lsn: Lsn | null = null;
      for (const position of positions) {
        if (!position) continue;
        const at = await this.resolve(position);
        if (lsn === null || at > lsn) lsn = at;
      }
      if (this.topology.timeline === tli) return lsn === null ? null : { tli, lsn };
    }
  }

  private resolve(position: Position): Promise<Lsn> {
    return this.discovery.toCurrent(position, () => this.tokens.format(position));
  }

  /** For `freshWithinMs`: the primary's position read no longer ago (undefined: not asked; null: none). */
  private freshnessFloor(freshWithinMs: number | undefined): Lsn | null | undefined {
    if (freshWithinMs === undefined) return undefined;
    return this.state.primaryPositionSince(this.state.now() - freshWithinMs);
  }

  /**
   * A read on the primary. With a position `asked` its position is read too
   * (with `cover: false` before the work, only to check, then dropped, unless
   * the work writes: then after it, and returned): a
   * primary on a timeline the position was not resolved against (a promotion
   * not seen yet, or seen with the timeline of the node's last report as a
   * standby) serves it only if it is on its history; else `WriteLostError`.
   */
  private async readOnPrimary<T>(
    work: Work<T, H>,
    cover: boolean,
    writes: boolean,
    asked: Position | null,
  ): Promise<Outcome<T>> {
    const admitted = admitAttempt(this.state, PRIMARY_NODE);
    // Before the position is asked: a sample stamped later would claim commits it may not cover.
    const askedAt = this.state.now();
    let outcome: Outcome<T>;
    try {
      // Without the cover, the position is read before the work: no failure after it to reckon
      // with. A work that writes (a replica refused it so) needs a token after its writes.
      const position = cover || writes ? 'after' : asked ? 'before' : 'none';
      outcome = await this.executor.readOnPrimary(work, position, writes);
    } catch (error) {
      throw attemptFailed(this.state, PRIMARY_NODE, error, admitted);
    }
    this.state.recordSuccess(PRIMARY_NODE, admitted);
    const on = outcome.token;
    // A former primary still up (a stale answer bound it): not the cluster's history, and its
    // position (past that timeline's end, perhaps) says nothing of the client's writes.
    if (on?.tli != null && on.tli < (this.topology.timeline ?? 0)) throw this.observations.left(on);
    if (on) this.observations.primary(on, askedAt);
    // Resolved again on the timeline known now, whatever moved it meanwhile (a replica's refusal
    // may have started discovery): lost means WriteLostError.
    if (asked && on && !this.topology.resolve(asked).ok) await this.resolve(asked);
    return cover || writes ? outcome : { result: outcome.result, token: null };
  }

  /** A replica's answer, recorded; undefined when it had not replayed the read's position. */
  private recordAnswer<T>(
    node: string,
    tli: number | null,
    answer: ReplicaAnswer<T>,
    admitted: Admission,
  ): Outcome<T> | undefined {
    this.state.recordSuccess(node, admitted);
    if (answer.replayed !== undefined) this.observations.replay(node, answer.replayed, tli);
    if (answer.waitedMs !== undefined) {
      routingMetrics.waitSeconds.observe(answer.waitedMs / 1000);
      if (!answer.served) routingMetrics.waitTimeouts.inc({ node });
    }
    if (!answer.served) {
      this.state.recordRefusal(node);
      routingMetrics.checkRefused.inc({ node });
    }
    return answer.served;
  }
}
