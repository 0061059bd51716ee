import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type { Routed, Work, WriteOptions } from './interfaces/routed.interface';
import { PrimaryUnavailableError } from './exceptions/primary-unavailable.exception';
import { routingLogger } from './logger';
import { routingMetrics, type WriteOutcome } from './metrics/routing.metrics';
import { attempt } from './node-attempt';
import { markCommitUnknown, markedCommitUnknown } from './commit-unknown';
import { isStatementError } from './db-errors.util';
import type { NodeExecutor } from './node-executor.service';
import type { NodeObservations } from './node.observations';
import type { NodeState } from './node-state.service';
import { PRIMARY_NODE } from './replica-routing.constants';
import type { RoutingContext, TransactionState } from './routing-context.service';
import type { Position } from './position';
import type { TopologyDiscovery } from './topology/topology-discovery.service';
import type { Topology } from './topology/topology.service';
import { runCallbacks, WriteCallbacks } from './transaction-callbacks';

/**
 * One write on the primary: in a transaction of its own (unless told
 * otherwise), with its callbacks, and its token taken after COMMIT on the
 * same server (docs/design.md, "The token is taken after the commit").
 */
export class WriteFlow<H> {
  private readonly logger = routingLogger('ReplicaRouter');

  constructor(
    private readonly options: ResolvedReplicaRoutingOptions,
    private readonly context: RoutingContext,
    private readonly executor: NodeExecutor<H>,
    private readonly state: NodeState,
    private readonly topology: Topology,
    private readonly observations: NodeObservations,
    private readonly discovery: TopologyDiscovery,
  ) {}

  async once<T>(work: Work<T, H>, options: WriteOptions): Promise<Routed<T>> {
    const transaction = options.transaction ?? true;
    const withToken = options.token ?? true;
    // Where the write runs: a token read after COMMIT must come from this very server.
    const host = this.topology.primaryHost;
    const timeline = this.topology.timeline;
    // Before the token is asked (see NodeObservations.primary).
    const askedAt = this.state.now();
    return this.context.run({}, async (scope) => {
      const callbacks = new WriteCallbacks();
      let written: { result: T; token: Position | null | undefined; flushed?: boolean };
      try {
        written = await attempt(this.state, PRIMARY_NODE, () =>
          this.executor.writeOnPrimary(
            (manager) => {
              // Reads inside see the writes made so far: they stay on the primary.
              if (!transaction)
                return this.context.run({ primary: true }, () => work(manager, PRIMARY_NODE));
              const open: TransactionState = {
                manager,
                afterCommit: callbacks.afterCommit,
                afterRollback: callbacks.afterRollback,
              };
              // Ended as soon as the work settles (a synchronous throw included): async work it
              // left behind must not queue statements behind COMMIT, nor register callbacks.
              return this.context.run({ transaction: open }, () =>
                new Promise<T>((resolve) => resolve(work(manager, PRIMARY_NODE))).finally(
                  () => (open.ended = true),
                ),
              );
            },
            transaction,
            withToken,
            callbacks,
          ),
        );
      } catch (error) {
        // The primary answered the statement (a constraint, a bad query): it served the request.
        if (isStatementError(error)) scope.recordServedBy(PRIMARY_NODE);
        routingMetrics.writes.inc({ outcome: writeFailure(error) });
        await runCallbacks(this.logger, 'afterRollback', callbacks.afterRollback);
        throw error;
      }
      let token: Position | null;
      try {
        // Asked for no token (`token: false`): nothing to raise the scope to.
        token =
          written.token === undefined
            ? null
            : this.observations.primary(
                written.token ?? (await this.positionAfterCommit(host, timeline)),
                // The standbys' flush position says nothing of commits that did not wait for them.
                written.flushed ? undefined : askedAt,
              );
      } catch (error) {
        // Committed on a server that may no longer be the primary's: the outcome is unknown, and
        // such an outcome runs afterRollback (docs/api.md).
        routingMetrics.writes.inc({ outcome: 'commit_unknown' });
        await runCallbacks(this.logger, 'afterRollback', callbacks.afterRollback);
        throw error;
      }
      // The first write after a failover, in a scope whose token predates it: the two merge
      // exactly only once the old timeline's end is known (it may take an HA loop to be readable).
      if (this.discovery.raisesBlind(scope, token)) await this.discovery.awaitHistory();
      routingMetrics.writes.inc({ outcome: 'committed' });
      if (token) scope.raise(token);
      scope.recordServedBy(PRIMARY_NODE);
      await runCallbacks(this.logger, 'afterCommit', callbacks.afterCommit);
      // Those of savepoints rolled back: their part never committed.
      await runCallbacks(this.logger, 'afterRollback', callbacks.undone);
      return {
        result: written.result,
        servedBy: PRIMARY_NODE,
        token: token?.lsn ?? null,
        position: token,
      };
    });
  }

  /**
   * The write committed on `host` (timeline `timeline`) but its connection
   * died before the token was read: a later position of that same server
   * covers it. One of another server does not: if the primary moved
   * meanwhile, the new one may never have received the write, and a token of
   * its timeline would hide the loss. The outcome is then unknown.
   */
  private async positionAfterCommit(
    host: string | null,
    timeline: number | null,
  ): Promise<Position> {
    const unknown = (error: unknown, why: string) =>
      // Committed: never to be run again by the election wait.
      markCommitUnknown(new PrimaryUnavailableError(this.options.primaryCooldownMs, error, why));
    const moved = () =>
      this.topology.primaryHost !== host
        ? `the write was committed on ${host ?? 'the primary'}, which is no longer the primary, ` +
          'before its consistency token could be read: the new primary may not have it'
        : null;
    let position: Position;
    try {
      const before = moved();
      if (before) throw unknown(undefined, before);
      position = await attempt(this.state, PRIMARY_NODE, () => this.executor.primaryPosition());
    } catch (error) {
      if (markedCommitUnknown(error)) throw error;
      throw unknown(
        error,
        'the write was committed but the primary went away before its consistency token could be read',
      );
    }
    const after = moved();
    if (after) throw unknown(undefined, after);
    if (timeline !== null && position.tli !== null && position.tli !== timeline)
      throw unknown(
        undefined,
        `the write was committed on timeline ${timeline}, the primary is now on ${position.tli}`,
      );
    return position;
  }
}

/** How a failed write counts: it may have committed (never rolled back for sure), or not. */
function writeFailure(error: unknown): WriteOutcome {
  if (markedCommitUnknown(error)) return 'commit_unknown';
  return error instanceof PrimaryUnavailableError ? 'primary_unavailable' : 'rolled_back';
}
