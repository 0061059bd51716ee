import { isNodeFailure } from './db-errors.util';
import { NotPrimaryError } from './exceptions/node-state.exceptions';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import { routingMetrics } from './metrics/routing.metrics';
import type { NodeRegistry } from './node-registry.service';
import { uncleanState } from './postgres/connection-hygiene';
import { ClientView, type PgConnection } from './postgres/pg-connection';
import { inRecovery } from './postgres/wal.queries';
import { countRouted } from './query-count';
import { PRIMARY_NODE } from './replica-routing.constants';

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
  /** Connections listened to for errors (one listener each). */
  private readonly listened = new WeakSet<object>();

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
    try {
      connection = await this.cleanConnection(name);
      use = new ClientView(connection, this.registry.queryCount(name));
      if (name === PRIMARY_NODE) await this.provePrimary(connection);
      return await fn(connection, use, (p) => {
        trailing = p;
      });
    } catch (error) {
      // A connection that failed under the work (lost, or timed out client-side with its query
      // perhaps still running) goes back as broken: the pool closes it instead of lending it again.
      if (isNodeFailure(error)) broken = error instanceof Error ? error : new Error(String(error));
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

  /**
   * A connection whose session is clean. The library's own releases keep
   * every pooled session idle; one that is not (someone else's use of the
   * node's pool) is discarded, and another one taken.
   */
  private async cleanConnection(name: string): Promise<PgConnection> {
    const pool = await this.registry.get(name);
    for (let tries = 0; ; tries++) {
      const connection = (await pool.connect()) as PgConnection;
      if (!this.listened.has(connection)) {
        // A connection that fails while checked out fails its query; the event itself is no news.
        connection.on('error', () => undefined);
        this.listened.add(connection);
      }
      const reason = uncleanState(connection);
      if (!reason) return connection;
      this.discard(name, connection, reason);
      // Every discarded one is closed: within poolSize + 1 tries the pool opens a new one.
      if (tries > this.options.poolSize) throw new Error(`no clean connection to ${name}`);
    }
  }

  /**
   * Returns the connection to the pool only if its session is idle with
   * nothing in flight; otherwise the pool closes it, which rolls back
   * whatever it held (docs/design.md, "A connection carries state").
   */
  private putBack(name: string, connection: PgConnection, broken: Error | undefined): void {
    if (broken) {
      connection.release(broken);
      return;
    }
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
   * that its node is not in recovery (a node bound as primary may have been
   * demoted and restarted as a standby since). A connection that showed it
   * once stays on a primary: a demotion restarts the server and ends it.
   */
  private async provePrimary(connection: PgConnection): Promise<void> {
    if (this.primaryConnections.has(connection)) return;
    countRouted(this.registry.queryCount(PRIMARY_NODE), true);
    if (await inRecovery(connection)) throw new NotPrimaryError();
    this.primaryConnections.add(connection);
  }
}
