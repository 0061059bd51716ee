import { routingLogger } from './logger';
import type { PgConnection } from './postgres/pg-connection';
import type { Replay } from './postgres/wal.queries';

/**
 * What each replica connection has proven: the highest replay position it
 * showed in-band, and on which timeline. A live connection's standby only
 * replays forward, so a later read needing no more than that needs no check
 * (a restart ends the connection; the pool opens a new one, which proves
 * itself again). That holds only when one client connection is one server
 * session: a node seen breaking it (a transaction-mode pooler in between)
 * has its proofs turned off (docs/design.md, "A connection carries state").
 */
export class ConnectionProofs {
  private readonly logger = routingLogger('NodeExecutor');
  private readonly proven = new WeakMap<object, Replay>();
  /** Nodes seen answering one client connection from two server sessions. */
  private readonly pooled = new Set<string>();

  constructor(private readonly enabled: boolean) {}

  /** What `connection` to `name` has proven, when proofs may stand in for the check there. */
  of(name: string, connection: PgConnection): Replay | undefined {
    return this.enabled && !this.pooled.has(name) ? this.proven.get(connection) : undefined;
  }

  /** Records what `connection` proved (kept only where proofs are on). */
  record(name: string, connection: PgConnection, replay: Replay): void {
    if (this.enabled && !this.pooled.has(name)) this.proven.set(connection, replay);
  }

  forget(connection: PgConnection): void {
    this.proven.delete(connection);
  }

  /** `connection` answered from another server session than the one that proved: proofs off for `name`. */
  sessionChanged(name: string, connection: PgConnection): void {
    this.proven.delete(connection);
    if (this.pooled.has(name)) return;
    this.pooled.add(name);
    this.logger.warn(
      `${name}: one client connection answered from two server sessions (a transaction-mode ` +
        'pooler such as PgBouncer in front of it?). Its connections prove nothing from now on: ' +
        'every read on it is checked in-band. Set connectionProofs: false to say so up front.',
    );
  }
}
