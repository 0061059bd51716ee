import { routingLogger } from './logger';
import { describeError, isNodeFailure, isRetryableElsewhere, isTransient } from './db-errors.util';
import { NoNodeAvailableError } from './exceptions/no-node-available.exception';
import { NoTransactionError } from './exceptions/no-transaction.exception';
import { PrimaryUnavailableError } from './exceptions/primary-unavailable.exception';
import { WriteLostError } from './exceptions/write-lost.exception';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type {
  ReadOptions,
  Routed,
  ScopeOptions,
  ScopeResult,
  TokenInput,
  Work,
  WriteOptions,
} from './interfaces/routed.interface';
import { type ClientTokenGate } from './client-token.gate';
import { type ConsistencyTokens } from './consistency-tokens.service';
import { formatLsn, type Lsn } from './lsn.util';
import { attempt } from './node-attempt';
import {
  markCommitUnknown,
  markedCommitUnknown,
  type NodeExecutor,
  type Outcome,
} from './node-executor.service';
import { type NodeState } from './node-state.service';
import { PRIMARY_NODE } from './replica-routing.constants';
import { routingMetrics, type ReadOutcome } from './metrics/routing.metrics';
import { type ReplicaSelector } from './replica-selector.service';
import type { SelectionPlan } from './replica-selection.policy';
import {
  type RoutingContext,
  type Callback,
  type TransactionState,
} from './routing-context.service';
import { onTimeline, type Replay } from './postgres/wal.queries';
import type { Position } from './topology/timeline-history';
import { type TopologyDiscovery } from './topology/topology-discovery.service';
import { type Topology } from './topology/topology.service';
import { runCallbacks } from './transaction-callbacks';

/**
 * The library's front door. Writes go to the primary and return a token taken
 * after COMMIT; reads go to a replica that has provably replayed the token of
 * the read and of its scope, else to the primary. What each attempt observed
 * (positions, failures) is recorded in {@link NodeState} here, in one place.
 */
export class ReplicaRouter<H = unknown> {
  private readonly logger = routingLogger(ReplicaRouter.name);

  constructor(
    private readonly options: ResolvedReplicaRoutingOptions,
    private readonly context: RoutingContext,
    private readonly selector: ReplicaSelector,
    private readonly executor: NodeExecutor<H>,
    private readonly state: NodeState,
    private readonly tokens: ConsistencyTokens,
    private readonly gate: ClientTokenGate,
    private readonly topology: Topology,
    private readonly discovery: TopologyDiscovery,
  ) {}

  /**
   * Runs `work` on the primary (in a transaction by default) and returns its
   * post-commit token. With `hosts`, while there is no primary (an election)
   * the write waits up to `electionWaitMs` for one and then runs there: only
   * when nothing of it can have committed (docs/design.md, "Failover and timelines").
   */
  async write<T>(work: Work<T, H>, options: WriteOptions = {}): Promise<Routed<T>> {
    const open = this.context.current()?.transaction;
    if (open) {
      // Joins the enclosing transaction; its token is taken when that one commits.
      return {
        result: await work(open.manager as H, PRIMARY_NODE),
        servedBy: PRIMARY_NODE,
        token: null,
        position: null,
      };
    }
    return this.untilElected(() => this.writeOnce(work, options));
  }

  /**
   * Runs `once` again while it fails because there is no primary (an
   * election: see {@link awaitsElection}), discovering between tries, for up
   * to `electionWaitMs`; then fails with {@link PrimaryUnavailableError}.
   * Without `hosts` it runs once.
   */
  private async untilElected<T>(once: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.options.electionWaitMs;
    for (;;) {
      const version = this.topology.version;
      try {
        return await once();
      } catch (error) {
        const primaryError = this.primaryFailures.get(error as object) ?? error;
        if (!this.awaitsElection(primaryError)) throw error;
        if (Date.now() >= deadline) throw this.noPrimary(primaryError);
        await this.discovery.awaitChange(version, deadline);
      }
    }
  }

  /** Errors of reads that failed because the primary did, with the primary's error. */
  private readonly primaryFailures = new WeakMap<object, unknown>();

  /**
   * Whether work that failed on the primary may wait for a (new) primary and
   * run again: only with discovery, only if the primary failed or refused it as
   * read-only (SQLSTATE 25006: a standby now), never if a COMMIT may have gone
   * through, and not for load (more tries would only add to it).
   */
  private awaitsElection(error: unknown): boolean {
    if (!this.topology.discovering || markedCommitUnknown(error)) return false;
    const cause = error instanceof PrimaryUnavailableError ? error.cause : error;
    if (isTransient(cause)) return false;
    return (
      error instanceof PrimaryUnavailableError ||
      isNodeFailure(error) ||
      (cause as { code?: unknown } | undefined)?.code === '25006'
    );
  }

  private noPrimary(error: unknown): PrimaryUnavailableError {
    const waited = `no primary answered within ${this.options.electionWaitMs} ms (a failover?)`;
    return new PrimaryUnavailableError(1000, error, waited);
  }

  private async writeOnce<T>(work: Work<T, H>, options: WriteOptions): Promise<Routed<T>> {
    const transaction = options.transaction ?? true;
    // Where the write runs: a token read after COMMIT must come from this very server.
    const host = this.topology.primaryHost;
    const timeline = this.topology.timeline;
    return this.context.run({}, async (scope) => {
      const callbacks = { afterCommit: [] as Callback[], afterRollback: [] as Callback[] };
      let written: { result: T; token: Position | null };
      try {
        written = await attempt(this.state, PRIMARY_NODE, () =>
          this.executor.writeOnPrimary(
            (manager) =>
              transaction
                ? this.context.run({ transaction: { manager, ...callbacks } }, () =>
                    work(manager, PRIMARY_NODE),
                  )
                : // Reads inside see the writes made so far: they stay on the primary.
                  this.context.run({ primary: true }, () => work(manager, PRIMARY_NODE)),
            transaction,
          ),
        );
      } catch (error) {
        routingMetrics.writes.inc({
          outcome: error instanceof PrimaryUnavailableError ? 'primary_unavailable' : 'rolled_back',
        });
        await runCallbacks(this.logger, 'afterRollback', callbacks.afterRollback);
        throw error;
      }
      routingMetrics.writes.inc({ outcome: 'committed' });
      const token = this.primaryObserved(
        written.token ?? (await this.positionAfterCommit(host, timeline)),
      );
      scope.raise(token);
      scope.recordServedBy(PRIMARY_NODE);
      await runCallbacks(this.logger, 'afterCommit', callbacks.afterCommit);
      return { result: written.result, servedBy: PRIMARY_NODE, token: token.lsn, position: token };
    });
  }

  /**
   * Records a position read off the primary: its timeline (a newer one means
   * a failover: discover), and on the current timeline its position. A
   * position on a timeline the cluster has left, past that timeline's end, was
   * taken on a former primary: whatever it covers is not in the history.
   */
  private primaryObserved(position: Position): Position {
    if (position.tli !== null && this.topology.observeTimeline(position.tli))
      void this.discovery.refresh();
    const resolved = this.topology.resolve(position);
    if (!resolved.ok && resolved.reason === 'lost')
      throw new WriteLostError(this.tokens.format(position), 'lost', resolved.detail);
    if (position.tli === this.topology.timeline || position.tli === null)
      this.state.observePrimary(position.lsn, this.state.now());
    return position;
  }

  /**
   * Runs `work` on a node that has replayed the read's token (and its
   * scope's), else the primary. With `hosts`, a read that only the primary
   * could serve waits out an election as a write does.
   */
  async read<T>(work: Work<T, H>, options: ReadOptions = {}): Promise<Routed<T>> {
    const scope = this.context.current();
    if (scope?.transaction) {
      // Inside a write: read its own uncommitted changes on the same connection.
      return {
        result: await work(scope.transaction.manager as H, PRIMARY_NODE),
        servedBy: PRIMARY_NODE,
        token: null,
        position: null,
      };
    }
    return this.untilElected(() => this.readOnce(work, options));
  }

  private async readOnce<T>(work: Work<T, H>, options: ReadOptions): Promise<Routed<T>> {
    const scope = this.context.current();
    const floor = this.freshnessFloor(options.freshWithinMs);
    // No recent sample of the primary's position: the primary first. If it cannot answer (it is
    // down, so nothing newer than its last known position can be committed), replicas that have
    // that position may (docs/design.md, "What each failure does").
    const stale = floor === null;
    const lastKnown = stale ? this.state.primaryPositionSince(0) : null;
    const asked = this.topology.later(
      this.topology.later(this.tokens.toPosition(options.token), scope?.position),
      this.onCurrent(floor ?? lastKnown),
    );
    const token = asked === null ? null : await this.resolve(asked);
    // A replica must stream the current timeline (or the token's, while none is known): read
    // after resolving, which discovers a newer timeline that the token names.
    const tli = this.topology.timeline ?? asked?.tli ?? null;
    const cover = options.cover ?? true;
    const waitMs = options.waitMs ?? this.options.replicaWaitMs;
    const forced =
      options.primary === true ||
      scope?.primary === true ||
      scope?.unsettled === true ||
      (stale && lastKnown === null);
    const selected = forced
      ? { replicas: [], primaryFirst: true, guess: false }
      : this.selector.plan(token);
    const plan = stale ? { ...selected, primaryFirst: true } : selected;
    const order = plan.primaryFirst
      ? [PRIMARY_NODE, ...plan.replicas]
      : [...plan.replicas, PRIMARY_NODE];
    const attempts: string[] = [];
    let lastError: unknown;
    let primaryError: unknown;
    for (const [i, node] of order.entries()) {
      try {
        const outcome =
          node === PRIMARY_NODE
            ? await this.readOnPrimary(work, cover)
            : await this.readOnReplica(node, token, tli, work, {
                waitMs: i === 0 ? waitMs : 0,
                cover,
              });
        if (!outcome) {
          attempts.push(
            `${node}: not at ${token === null ? 'a known position' : formatLsn(token)} yet`,
          );
          continue;
        }
        scope?.raise(outcome.token);
        scope?.recordServedBy(node);
        routingMetrics.reads.inc({
          node,
          outcome:
            lastError !== undefined ? 'retried' : this.why(node, forced || stale, token, plan),
        });
        const position = this.topology.later(outcome.token, asked);
        return { result: outcome.result, servedBy: node, token: position?.lsn ?? null, position };
      } catch (error) {
        // A work that may have written is never run again, here or elsewhere.
        if (markedCommitUnknown(error)) throw error;
        if (!(error instanceof PrimaryUnavailableError) && !isRetryableElsewhere(error))
          throw error;
        if (node === PRIMARY_NODE) {
          primaryError = error;
          void this.discovery.refresh();
        }
        attempts.push(`${node}: ${describeError(error)}`);
        lastError = error;
      }
    }
    const failure =
      order.length === 1 && lastError instanceof PrimaryUnavailableError
        ? lastError
        : new NoNodeAvailableError(attempts, lastError);
    if (primaryError !== undefined) this.primaryFailures.set(failure, primaryError);
    throw failure;
  }

  /** A position known of the primary on the current timeline. */
  private onCurrent(lsn: Lsn | null): Position | null {
    return lsn === null ? null : { tli: this.topology.timeline, lsn };
  }

  private resolve(position: Position): Promise<Lsn> {
    return this.discovery.toCurrent(position, () => this.tokens.format(position));
  }

  /**
   * For `freshWithinMs`: the primary's position read no longer ago than that
   * (undefined when not asked; null when no such sample is known).
   */
  private freshnessFloor(freshWithinMs: number | undefined): Lsn | null | undefined {
    if (freshWithinMs === undefined) return undefined;
    return this.state.primaryPositionSince(this.state.now() - freshWithinMs);
  }

  private why(node: string, forced: boolean, token: Lsn | null, plan: SelectionPlan): ReadOutcome {
    if (node !== PRIMARY_NODE) return plan.guess ? 'replica_guess' : 'replica';
    if (forced) return 'primary_forced';
    if (token === null && this.options.tokenlessReads === 'primary') return 'primary_tokenless';
    return plan.primaryFirst && plan.replicas.length > 0 ? 'primary_share' : 'primary_no_replica';
  }

  /** Runs `fn` with every read of it on the primary (nested scopes stay on the primary). */
  async onPrimary<T>(fn: () => Promise<T>): Promise<T> {
    return this.context.run({ primary: true }, fn);
  }

  /**
   * Runs `fn` in a scope whose reads see at least `token`, and returns the
   * scope's final token: the clock to hand to the next scope.
   */
  async withConsistency<T>(token: TokenInput, fn: () => Promise<T>): Promise<ScopeResult<T>> {
    return this.scope({ token }, fn);
  }

  /** The general form of {@link onPrimary} and {@link withConsistency}. */
  async scope<T>(options: ScopeOptions, fn: () => Promise<T>): Promise<ScopeResult<T>> {
    return this.context.run(
      { token: this.tokens.toPosition(options.token ?? null), primary: options.primary },
      async (scope) => {
        const result = await fn();
        return { result, token: scope.token, position: scope.position };
      },
    );
  }

  /** Raises the current scope's token (for example to a user's stored last-write position). */
  require(token: TokenInput): void {
    this.context.current()?.raise(this.tokens.toPosition(token));
  }

  /** The current scope's token and the nodes that served it, for response headers. */
  currentScope():
    { token: Lsn | null; position: Position | null; servedBy: readonly string[] } | undefined {
    const scope = this.context.current();
    return scope && { token: scope.token, position: scope.position, servedBy: scope.servedBy };
  }

  /** Runs `callback` after the enclosing `write()` commits. */
  afterCommit(callback: Callback): void {
    this.openTransaction('afterCommit').afterCommit.push(callback);
  }

  /** Runs `callback` after the enclosing `write()` rolls back. */
  afterRollback(callback: Callback): void {
    this.openTransaction('afterRollback').afterRollback.push(callback);
  }

  /**
   * Parses a token a client sent and refuses one that is malformed, forged,
   * or ahead of the primary (see {@link ClientTokenGate}).
   */
  acceptClientToken(text: string): Promise<Position> {
    return this.gate.accept(text);
  }

  /**
   * {@link acceptClientToken} without a query: the position, or `undefined`
   * when checking the token needs one (seed the scope's `pendingToken` and
   * call {@link settleClientToken} once the caller is authenticated).
   */
  acceptClientTokenWithoutIo(text: string): Position | undefined {
    return this.gate.acceptWithoutIo(text);
  }

  /**
   * Checks the pending client token of the current scope or the nearest
   * enclosing one (at most one query to the primary, none when a read of the
   * scope already saw the primary reach it) and raises the current scope, and
   * with it every enclosing one, to it; throws as {@link acceptClientToken}
   * does (the token then stays pending: reads stay on the primary).
   */
  async settleClientToken(): Promise<void> {
    const current = this.context.current();
    let holder = current;
    while (holder && holder.pendingToken === undefined) holder = holder.parent;
    const text = holder?.pendingToken;
    if (!current || !holder || text === undefined) return;
    const position = await this.gate.accept(text);
    holder.pendingToken = undefined;
    // Raising the current scope raises its ancestors, the holder among them: a child scope copied
    // its parent's position when it was opened, so raising only the holder would leave it behind.
    current.raise(position);
  }

  private async readOnPrimary<T>(work: Work<T, H>, cover: boolean): Promise<Outcome<T>> {
    const outcome = await attempt(this.state, PRIMARY_NODE, () =>
      this.executor.readOnPrimary(work, cover),
    );
    if (outcome.token) this.primaryObserved(outcome.token);
    return outcome;
  }

  /** The replica's answer, recorded; undefined when it had not replayed `token` on timeline `tli`. */
  private async readOnReplica<T>(
    node: string,
    token: Lsn | null,
    tli: number | null,
    work: Work<T, H>,
    opts: { waitMs: number; cover: boolean },
  ): Promise<Outcome<T> | undefined> {
    const answer = await attempt(this.state, node, () =>
      this.executor.readOnReplica(node, token, tli, work, opts),
    );
    if (answer.replayed !== undefined) this.replayObserved(node, answer.replayed, tli);
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

  /**
   * Records what a replica said of its replay. Only a position on the current
   * timeline says how far it is; a standby that streams a newer timeline
   * means a failover this process has not seen (discover); one that streams
   * nothing while it replays (its receiver is down, or the role cannot see
   * `pg_stat_wal_receiver`) cannot show which timeline it is on, and so serves
   * no read that needs one.
   */
  private replayObserved(node: string, replay: Replay, tli: number | null): void {
    if (replay.tli !== null && tli !== null && replay.tli > tli) void this.discovery.refresh();
    if (replay.lsn === null || onTimeline(replay, tli)) this.state.observeReplay(node, replay.lsn);
    if (replay.lsn !== null && replay.tli === null && tli !== null && tli > 1)
      this.warnNoReceiver(node);
  }

  private readonly warnedNoReceiver = new Map<string, number>();

  private warnNoReceiver(node: string): void {
    const now = this.state.now();
    if (now - (this.warnedNoReceiver.get(node) ?? -Infinity) < 60_000) return;
    this.warnedNoReceiver.set(node, now);
    this.logger.warn(
      `${node} replays WAL but shows no streaming WAL receiver, so it cannot prove its timeline ` +
        'and serves no read that needs one. Is it streaming? Does the role have pg_read_all_stats?',
    );
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

  private openTransaction(what: string): TransactionState {
    const transaction = this.context.current()?.transaction;
    if (!transaction) throw new NoTransactionError(what);
    return transaction;
  }
}
