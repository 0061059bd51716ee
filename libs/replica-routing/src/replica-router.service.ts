import type { ClientTokenGate } from './client-token.gate';
import type { ConsistencyTokens } from './consistency-tokens.service';
import type { ElectionWait } from './election.wait';
import { NoTransactionError } from './exceptions/no-transaction.exception';
import type {
  ReadOptions,
  Routed,
  ScopeOptions,
  ScopeResult,
  TokenInput,
  Work,
  WriteOptions,
} from './interfaces/routed.interface';
import type { Lsn } from './lsn.util';
import type { ReadFlow } from './read.flow';
import { PRIMARY_NODE } from './replica-routing.constants';
import type { Callback, RoutingContext, TransactionState } from './routing-context.service';
import type { Position } from './position';
import type { TopologyDiscovery } from './topology/topology-discovery.service';
import type { WriteFlow } from './write.flow';

/**
 * The library's front door. Writes go to the primary and return a token taken
 * after COMMIT ({@link WriteFlow}); reads go to a replica that has provably
 * replayed the token of the read and of its scope, else to the primary
 * ({@link ReadFlow}). `H` is the handle a work receives from the adapter.
 */
export class ReplicaRouter<H = unknown> {
  constructor(
    private readonly context: RoutingContext,
    private readonly tokens: ConsistencyTokens,
    private readonly gate: ClientTokenGate,
    private readonly reads: ReadFlow<H>,
    private readonly writes: WriteFlow<H>,
    private readonly election: ElectionWait,
    private readonly discovery: TopologyDiscovery,
  ) {}

  /**
   * Runs `work` on the primary (in a transaction by default) and returns its
   * post-commit token. With `hosts`, while there is no primary (an election)
   * the write waits up to `electionWaitMs` for one and then runs there: only
   * when nothing of it can have committed (docs/design.md, "Failover and timelines").
   */
  write<T>(work: Work<T, H>, options: WriteOptions = {}): Promise<Routed<T>> {
    const open = this.openTransactionState();
    // Joins the enclosing transaction; its token is taken when that one commits.
    if (open) return this.inTransaction(work, open.manager as H);
    return this.election.run(() => this.writes.once(work, options));
  }

  /**
   * Runs `work` on a node that has replayed the read's token (and its
   * scope's), else the primary. With `hosts`, a read that only the primary
   * could serve waits out an election as a write does.
   */
  read<T>(work: Work<T, H>, options: ReadOptions = {}): Promise<Routed<T>> {
    const transaction = this.openTransactionState();
    // Inside a write: read its own uncommitted changes on the same connection.
    if (transaction) return this.inTransaction(work, transaction.manager as H);
    // The election wait (ElectionWait.run) as the first try's `.catch`: no async frame of its
    // own on every read (docs/benchmarks.md, "Library overhead").
    const start = this.election.begin();
    return this.reads
      .once(work, options)
      .catch((error: unknown) =>
        this.election.retry(start, error, () => this.reads.once(work, options)),
      );
  }

  /** A work inside an open `write()`: on its connection, its token taken when it commits. */
  private async inTransaction<T>(work: Work<T, H>, manager: H): Promise<Routed<T>> {
    return {
      result: await work(manager, PRIMARY_NODE),
      servedBy: PRIMARY_NODE,
      token: null,
      position: null,
    };
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
    const token = this.tokens.toPosition(options.token ?? null);
    // A token of another timeline than the enclosing scopes' merges with theirs only once the history is known.
    if (this.discovery.raisesBlind(this.context.current(), token))
      await this.discovery.awaitHistory();
    return this.context.run({ token, primary: options.primary }, async (scope) => {
      const result = await fn();
      return { result, token: scope.token, position: scope.position };
    });
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

  /** The enclosing write's transaction while it is open (not once it has ended under async work it left). */
  private openTransactionState(): TransactionState | undefined {
    const transaction = this.context.current()?.transaction;
    return transaction?.ended ? undefined : transaction;
  }

  private openTransaction(what: string): TransactionState {
    const transaction = this.openTransactionState();
    if (!transaction) throw new NoTransactionError(what);
    return transaction;
  }
}
