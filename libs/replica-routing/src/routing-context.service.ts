import { AsyncLocalStorage } from 'node:async_hooks';
import type { Lsn } from './lsn.util';
import { laterPosition } from './topology/timeline-history';
import type { Position } from './position';
import { type Topology } from './topology/topology.service';

export type Callback = () => unknown;

export interface TransactionState {
  /** The adapter's handle of the open transaction (what `write()`'s work received). */
  manager: unknown;
  afterCommit: Callback[];
  afterRollback: Callback[];
  /**
   * Set once the transaction has committed or rolled back: async work the write
   * left behind (a timer, a promise not awaited) still sees this state, but
   * must not join it.
   */
  ended?: boolean;
}

/** A position with its timeline, or a bare one (timeline unknown). */
export type PositionLike = Position | Lsn | null | undefined;

type Later = (a: Position | null | undefined, b: Position | null | undefined) => Position | null;

export function asPosition(value: PositionLike): Position | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'bigint' ? { tli: null, lsn: value } : value;
}

export interface ScopeSettings {
  token?: PositionLike;
  /** A client's token not checked yet (see {@link RoutingScope.pendingToken}). */
  pendingToken?: string;
  primary?: boolean;
  transaction?: TransactionState;
  /**
   * A scope nested in none: an HTTP request's. Code that hands a request on
   * from another's callback (a queue, a shared client) runs it in that other
   * request's context; it must not start from that request's token, raise
   * it, or join its transaction.
   */
  root?: boolean;
}

/**
 * One routing scope: an HTTP request, a job, a block of a script. Scopes nest;
 * a child starts from its parent's token and mode, and what it observes
 * (tokens of writes, positions of reads) is raised in every enclosing scope.
 */
export class RoutingScope {
  /** The position every read in this scope must see, with its timeline; only ever raised. */
  position: Position | null;
  /** Forced to the primary (`@UsePrimary()`, `router.onPrimary()`); sticky for children. */
  readonly primary: boolean;
  /** The open transaction, if this scope runs inside `router.write()`. */
  readonly transaction: TransactionState | undefined;
  /** Nodes that served this scope's queries, each once, in the order they last served (the last one last). */
  readonly servedBy: string[] = [];
  /**
   * A token the client sent that could not be checked without a query (see
   * `ClientTokenGate.acceptWithoutIo`): checked after authentication, by
   * `ReplicaRouter.settleClientToken()`. Until then every read of the scope
   * goes to the primary, which has every write a genuine token can stand for.
   */
  pendingToken: string | undefined;

  constructor(
    readonly parent: RoutingScope | undefined,
    options: ScopeSettings = {},
    private readonly later: Later = laterPosition,
  ) {
    this.position = later(parent?.position, asPosition(options.token));
    this.primary = (parent?.primary ?? false) || (options.primary ?? false);
    this.transaction = options.transaction ?? parent?.transaction;
    this.pendingToken = options.pendingToken;
  }

  /** A token waiting for its check, in this scope or an enclosing one. */
  get unsettled(): boolean {
    return this.pendingToken !== undefined || (this.parent?.unsettled ?? false);
  }

  /** The position alone (on whatever timeline it was taken). */
  get token(): Lsn | null {
    return this.position?.lsn ?? null;
  }

  /** Raises the token of this scope and its ancestors. */
  raise(token: PositionLike): void {
    this.position = this.later(this.position, asPosition(token));
    this.parent?.raise(token);
  }

  recordServedBy(node: string): void {
    // Each node once: a long-lived scope (a job's, a consumer's) must not grow with every query.
    if (this.servedBy.at(-1) !== node) {
      const at = this.servedBy.indexOf(node);
      if (at >= 0) this.servedBy.splice(at, 1);
      this.servedBy.push(node);
    }
    this.parent?.recordServedBy(node);
  }
}

/** Holds the current {@link RoutingScope} in AsyncLocalStorage. */
export class RoutingContext {
  private readonly storage = new AsyncLocalStorage<RoutingScope>();
  private readonly later: Later;

  /** With the topology, tokens of different timelines merge by what is known of the history. */
  constructor(topology?: Topology) {
    this.later = topology ? (a, b) => topology.later(a, b) : laterPosition;
  }

  current(): RoutingScope | undefined {
    return this.storage.getStore();
  }

  /** Runs `fn` in a new scope nested in the current one (unless `root`). */
  run<T>(options: ScopeSettings, fn: (scope: RoutingScope) => T): T {
    const scope = new RoutingScope(options.root ? undefined : this.current(), options, this.later);
    return this.storage.run(scope, () => fn(scope));
  }

  /** Runs `fn` in `scope` again (one opened by {@link run} before). */
  enter<T>(scope: RoutingScope, fn: () => T): T {
    return this.storage.run(scope, fn);
  }
}
