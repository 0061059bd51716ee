import type { Pool, PoolClient } from 'pg';
import { isSessionEnded, isStatementError, markConnectFailure } from './db-errors.util';
import { NotPrimaryError } from './exceptions/node-state.exceptions';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import { routingMetrics } from './metrics/routing.metrics';
import type { NodeRegistry } from './node-registry.service';
import { drained, uncleanState } from './postgres/connection-hygiene';
import { sendAlone, sendCovered, type CoverAnswer, type Statement } from './postgres/covered-query';
import { inOneWrite, type PgConnection } from './postgres/pg-connection';
import { inRecovery } from './postgres/wal.queries';
import { countRouted, type QueryCount } from './query-count';
import { PRIMARY_NODE } from './replica-routing.constants';

/** How long a connection whose statement was refused may take to end it (its ReadyForQuery), ms. */
const REFUSAL_SETTLE_MS = 1000;

/**
 * Lends one pooled connection of a node for one use, and takes it back: only
 * a clean session is lent, only a clean one goes back to the pool (any other
 * is closed, which rolls back what it held), a broken one is closed, and the
 * primary's connections first prove they are on a primary
 * (docs/design.md, "A connection carries state").
 */
export class ConnectionLender {
  /** Primary connections that showed they are not in recovery: a demotion restarts the server, ending them. */
  private readonly primaryConnections = new WeakSet<object>();
  /** Connections listened to for errors (one listener each), with the error that ended one. */
  private readonly endedBy = new WeakMap<object, Error | undefined>();

  constructor(
    private readonly options: ResolvedReplicaRoutingOptions,
    private readonly registry: NodeRegistry,
  ) {}

  /**
   * Runs `fn` on a pooled connection of `name`, with the view of it a work
   * may use. `hold` lets `fn` name a statement it sent without waiting for it
   * (a pipelined COMMIT): the connection goes back to the pool once that one
   * is answered, not before.
   */
  async lend<T>(
    name: string,
    fn: (
      connection: PgConnection,
      use: ClientView,
      hold: (trailing: Promise<unknown>) => void,
    ) => Promise<T>,
  ): Promise<T> {
    const leave = this.registry.admit(name);
    let connection: PgConnection | undefined;
    let use: ClientView | undefined;
    let trailing: Promise<unknown> | undefined;
    let broken: Error | undefined;
    let opening = false;
    try {
      const pool = this.registry.ready(name) ?? (await this.registry.get(name));
      opening = true;
      connection =
        this.clean(name, await pool.connect()) ?? (await this.cleanConnection(name, pool));
      opening = false;
      use = new ClientView(connection, this.registry.queryCount(name));
      if (name === PRIMARY_NODE) await this.provePrimary(connection);
      return await fn(connection, use, (p) => {
        trailing = p;
      });
    } catch (error) {
      if (opening) markConnectFailure(error);
      // Ended between statements, the session fails the next with "not queryable": the server's
      // reason becomes its cause (a conflict with recovery is no node failure; see endedBy).
      const ended = connection && this.endedBy.get(connection);
      if (ended && ended !== error && error instanceof Error && error.cause === undefined)
        Object.defineProperty(error, 'cause', { value: ended });
      // Ended, lost, or timed out (its query perhaps still running): closed as broken.
      if (ended || isSessionEnded(error)) broken = ended ?? (error as Error);
      // A refused statement fails the work before its ReadyForQuery: back once that comes.
      else if (connection && !trailing && isStatementError(error)) {
        if (uncleanState(connection) === 'busy') trailing = drained(connection, REFUSAL_SETTLE_MS);
      }
      throw error;
    } finally {
      use?.revoke();
      if (connection) {
        const done = connection;
        if (trailing) void trailing.then(() => this.putBack(name, done, broken));
        else this.putBack(name, done, broken);
      }
      leave();
    }
  }

  /** `connection` if its session is clean, else undefined: closed (someone else's use of the pool left it so). */
  private clean(name: string, connection: PgConnection): PgConnection | undefined {
    if (!this.endedBy.has(connection)) {
      // What ended the session between two statements (a FATAL, before the socket's end is also
      // reported): the next one fails only with node-postgres' "not queryable"; this says why.
      const first = (error: Error) => this.endedBy.get(connection) ?? error;
      connection.on('error', (error) => this.endedBy.set(connection, first(error)));
      this.endedBy.set(connection, undefined);
    }
    const reason = uncleanState(connection);
    if (!reason) return connection;
    this.discard(name, connection, reason);
    return undefined;
  }

  /** After an unclean one: connections of `pool` until one is clean. */
  private async cleanConnection(name: string, pool: Pool): Promise<PgConnection> {
    // Every discarded one is closed: within poolSize + 1 tries the pool opens a new one.
    for (let tries = 0; tries <= this.options.poolSize; tries++) {
      const connection = this.clean(name, await pool.connect());
      if (connection) return connection;
    }
    throw new Error(`no clean connection to ${name}`);
  }

  /**
   * Returns the connection to the pool only if its session is idle with
   * nothing in flight; otherwise the pool closes it, which rolls back
   * whatever it held (docs/design.md, "A connection carries state").
   */
  private putBack(name: string, connection: PgConnection, broken: Error | undefined): void {
    if (broken) return connection.release(broken);
    const reason = uncleanState(connection);
    if (reason) this.discard(name, connection, reason);
    else connection.release();
  }

  private discard(name: string, connection: PgConnection, reason: string): void {
    routingMetrics.connectionsDiscarded.inc({ node: name, reason });
    // Released with an error, a pg pool closes the connection instead of lending it again.
    connection.release(new Error(`connection not reused: ${reason.replace('_', ' ')}`));
  }

  /**
   * A primary's work never runs on a standby: a new connection first shows
   * that its node is not in recovery (it may have been demoted and restarted
   * as a standby since). Once shown, a demotion restarts the server and ends
   * it; but a pooler's (`connectionProofs: false`) shows it on every use.
   */
  private async provePrimary(connection: PgConnection): Promise<void> {
    if (this.primaryConnections.has(connection)) return;
    countRouted(this.registry.queryCount(PRIMARY_NODE), true);
    if (await inRecovery(connection)) throw new NotPrimaryError();
    if (this.options.connectionProofs) this.primaryConnections.add(connection);
  }
}

/** A statement that opens a transaction, after any comments: nothing may be slipped in behind it. */
export const OPENS_TRANSACTION =
  /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*(BEGIN|START\s+TRANSACTION)\b/i;

function statementText(query: unknown): string {
  if (typeof query === 'string') return query;
  const text = (query as { text?: unknown } | null)?.text;
  return typeof text === 'string' ? text : '';
}

/**
 * The client as one work sees it, for the length of that work: what an
 * adapter binds its ORM to. Every statement is counted as routed work;
 * `release` is the library's, not the work's; and once the work is over the
 * view is revoked, so a handle kept past its work fails instead of running
 * on a connection lent to someone else. The real client is never altered.
 */
export class ClientView {
  /** Statements the work sent. */
  statements = 0;
  readonly client: PoolClient;
  private readonly revokeProxy: () => void;
  private revoked = false;
  private behind:
    { statement: Statement; answer?: () => CoverAnswer | Promise<CoverAnswer> } | undefined;

  constructor(
    private readonly target: PgConnection,
    count: QueryCount,
  ) {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with apply(target)
    const send = target.query as (...a: unknown[]) => unknown;
    const query = (...args: unknown[]): unknown => {
      // Revoking the proxy stops lookups on it, not a `query` taken from it before (Kysely binds it).
      if (this.revoked)
        throw new TypeError('a query on a revoked connection: the work it was lent to has ended');
      this.statements++;
      countRouted(count, true);
      const behind = this.behind;
      if (!behind || this.statements > 1 || OPENS_TRANSACTION.test(statementText(args[0])))
        return send.apply(target, args);
      countRouted(count, false);
      // Under one Sync with the work's statement when it has parameters (one query, one answer).
      const covered =
        typeof behind.statement === 'string'
          ? undefined
          : sendCovered(target, args, behind.statement);
      if (covered) {
        behind.answer = covered.cover;
        return covered.result;
      }
      // Else both in one socket write.
      return inOneWrite(target, () => {
        const first = send.apply(target, args);
        const answer = sendAlone(target, behind.statement);
        behind.answer = () => answer;
        return first;
      });
    };
    const { proxy, revoke } = Proxy.revocable(target, {
      get: (t, key) => {
        if (key === 'query') return query;
        if (key === 'release') return () => undefined;
        const value = Reflect.get(t, key, t) as unknown;
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(t)
          : value;
      },
      set: (t, key, value) => Reflect.set(t, key, value, t),
    });
    this.client = proxy;
    this.revokeProxy = revoke;
  }

  /**
   * Sends `statement` right after the work's first statement: under its
   * Sync when it has parameters (`sendCovered`), else in the same socket
   * write (a pipelining connection answers them in that order); its answer
   * is `behindAnswer()` (undefined when the work sent none, or when
   * its first statement opens a transaction: `statement` would then run
   * inside it, take its snapshot, and make a `SET TRANSACTION` that must
   * come first fail with 25001).
   */
  sendBehindFirst(statement: Statement): void {
    this.behind = { statement };
  }

  /**
   * The answer to what {@link sendBehindFirst} sent (see {@link CoverAnswer}):
   * under the work's Sync, the answer itself once it has come (it comes
   * before the work's result), else a promise of it; sent alone, always a
   * promise; undefined when nothing was sent.
   */
  behindAnswer(): CoverAnswer | Promise<CoverAnswer> {
    return this.behind?.answer?.();
  }

  /** Ends the view: the work's handle can no longer reach the connection. */
  revoke(): void {
    this.revoked = true;
    this.revokeProxy();
  }
}
