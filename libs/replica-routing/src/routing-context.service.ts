import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { maxLsn, type Lsn } from './lsn.util';

export type Callback = () => unknown;

export interface TransactionState {
  manager: EntityManager;
  afterCommit: Callback[];
  afterRollback: Callback[];
}

export interface ScopeSettings {
  token?: Lsn | null;
  primary?: boolean;
  transaction?: TransactionState;
}

/**
 * One routing scope: an HTTP request, a job, a block of a script. Scopes nest;
 * a child starts from its parent's token and mode, and what it observes
 * (tokens of writes, positions of reads) is raised in every enclosing scope.
 */
export class RoutingScope {
  /** The position every read in this scope must see; only ever raised. */
  token: Lsn | null;
  /** Forced to the primary (`@UsePrimary()`, `router.onPrimary()`); sticky for children. */
  readonly primary: boolean;
  /** The open transaction, if this scope runs inside `router.write()`. */
  readonly transaction: TransactionState | undefined;
  /** Nodes that served this scope's queries, in order. */
  readonly servedBy: string[] = [];

  constructor(
    readonly parent: RoutingScope | undefined,
    options: ScopeSettings = {},
  ) {
    this.token = maxLsn(parent?.token, options.token);
    this.primary = (parent?.primary ?? false) || (options.primary ?? false);
    this.transaction = options.transaction ?? parent?.transaction;
  }

  /** Raises the token of this scope and its ancestors. */
  raise(token: Lsn | null): void {
    this.token = maxLsn(this.token, token);
    this.parent?.raise(token);
  }

  recordServedBy(node: string): void {
    this.servedBy.push(node);
    this.parent?.recordServedBy(node);
  }
}

/** Holds the current {@link RoutingScope} in AsyncLocalStorage. */
@Injectable()
export class RoutingContext {
  private readonly storage = new AsyncLocalStorage<RoutingScope>();

  current(): RoutingScope | undefined {
    return this.storage.getStore();
  }

  /** Runs `fn` in a new scope nested in the current one. */
  run<T>(options: ScopeSettings, fn: (scope: RoutingScope) => T): T {
    const scope = new RoutingScope(this.current(), options);
    return this.storage.run(scope, () => fn(scope));
  }
}
