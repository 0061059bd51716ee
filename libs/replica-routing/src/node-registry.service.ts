import { Pool, type PoolConfig } from 'pg';
import { routingLogger } from './logger';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import { NoSuchRoleError } from './exceptions/node-state.exceptions';
import { NodeOverloadedError } from './exceptions/node-overloaded.exception';
import { RoutingClosedError } from './exceptions/routing-closed.exception';
import { publishZeroCounters } from './metrics/routing.metrics';
import type { QueryCount } from './query-count';
import { PRIMARY_NODE } from './replica-routing.constants';
import type { RoutingAdapter } from './routing.adapter';
import type { Queryable } from './postgres/wal.queries';
import { pgConfig } from './topology/host-probe';
import { type Topology } from './topology/topology.service';

/** Queries of one node that may wait for one of its connections in this process. */
const MAX_QUEUED_PER_NODE = 100;

/**
 * One node-postgres pool per routing name (`primary`, each replica), opened
 * through the adapter. Nodes connect lazily and independently, so a node that
 * is down at boot stops nothing: the first use that finds it back connects
 * it. When the topology moves a name to another host (a failover), its pool
 * is closed and the next use connects to the new one. Every pool is closed
 * by {@link close}.
 */
export class NodeRegistry {
  private readonly logger = routingLogger(NodeRegistry.name);
  private readonly connecting = new Map<string, Promise<Pool>>();
  private readonly connected = new Map<string, Pool>();
  /**
   * Per node, a pool of one connection for the library's own statements
   * (status loads, probes): they never queue behind the work that holds every
   * pooled connection, so a saturated node still reports where it is.
   */
  private readonly own = new Map<string, Pool>();
  private readonly ownPools = new WeakSet<Pool>();
  private readonly counts = new Map<string, QueryCount>();
  private readonly inFlight = new Map<string, number>();
  /** Connects under way, including those of roles dropped meanwhile. */
  private readonly connects = new Set<Promise<Pool>>();
  /** Pools being closed in the background (a moved role's, a duplicate): `close()` waits for them. */
  private readonly closing = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly options: ResolvedReplicaRoutingOptions,
    private readonly topology: Topology,
    private readonly adapter: Pick<RoutingAdapter<unknown>, 'openPool' | 'closePool'>,
  ) {
    topology.onChange((names) => names.forEach((name) => this.drop(name)));
    // Every name a node can go by is known now: the primary, static replicas, discovered hosts.
    publishZeroCounters([
      PRIMARY_NODE,
      ...options.replicas.map((r) => r.name),
      ...options.hosts.map((h) => h.name),
    ]);
  }

  /**
   * Closes `name`'s pool in the background. Ended, a pg pool closes each
   * connection as it is released, so work still running on one finishes first.
   */
  private drop(name: string): void {
    const pool = this.connected.get(name);
    this.connected.delete(name);
    this.connecting.delete(name);
    if (pool) this.closeLater(name, pool, 'old');
    const own = this.own.get(name);
    this.own.delete(name);
    if (own) this.closeLater(name, own, 'own');
  }

  /** Closes a pool no one is given any more, in the background; `close()` waits for it. */
  private closeLater(name: string, pool: Pool, which: string): void {
    const closing = this.closePool(name, pool)
      .catch((error: unknown) =>
        this.logger.warn(`closing ${name}'s ${which} pool: ${String(error)}`),
      )
      .finally(() => this.closing.delete(closing));
    this.closing.add(closing);
  }

  private closePool(name: string, pool: Pool): Promise<void> {
    // The library's own pools are its own: the adapter opened none of them.
    if (this.ownPools.has(pool) || !this.adapter.closePool) return pool.end();
    return this.adapter.closePool(name, pool);
  }

  /** Statements sent to `name` so far (see {@link QueryCount}). */
  queryCount(name: string): QueryCount {
    let count = this.counts.get(name);
    if (!count) {
      count = { total: 0, routed: 0, roundTrips: 0 };
      this.counts.set(name, count);
    }
    return count;
  }

  /** Runs one statement of the library's own (status, probes) on `name`'s own connection. */
  async query<R>(name: string, sql: string, values?: unknown[]): Promise<R[]> {
    // Connected first, as for any use: a node that is down fails as a node failure.
    const work = await this.get(name);
    if (this.closed) throw new RoutingClosedError(`cannot use node ${name}`);
    // The role moved meanwhile: the pool of its new host, found (or connected) again.
    if (this.connected.get(name) !== work) return this.query(name, sql, values);
    let pool = this.own.get(name);
    if (!pool) {
      // The work pool's settings as the adapter gave them (TLS, credentials...), one connection;
      // pg-pool keeps the password out of its enumerable options.
      const { password } = work.options;
      pool = this.listened(name, new Pool({ ...work.options, password, max: 1 }));
      this.ownPools.add(pool);
      this.own.set(name, pool);
    }
    this.queryCount(name).total++;
    return (await pool.query(sql, values)).rows as R[];
  }

  /** {@link query} as a {@link Queryable}. */
  queryable(name: string): Queryable {
    return { query: async (sql) => ({ rows: await this.query(name, sql) }) };
  }

  /**
   * Takes one of the node's `poolSize + 100` slots (a query
   * running, or waiting for a pooled connection) and returns its release; when
   * every slot is taken, throws {@link NodeOverloadedError} at once.
   */
  admit(name: string): () => void {
    const taken = this.inFlight.get(name) ?? 0;
    if (taken >= this.options.poolSize + MAX_QUEUED_PER_NODE) throw new NodeOverloadedError(name);
    this.inFlight.set(name, taken + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight.set(name, (this.inFlight.get(name) ?? 1) - 1);
    };
  }

  /** Every node name, the primary first. */
  get names(): string[] {
    return [PRIMARY_NODE, ...this.replicaNames];
  }

  get replicaNames(): string[] {
    return this.topology.replicas.map((r) => r.name);
  }

  /** The node's pool if it is connected, without waiting (see {@link get}). */
  ready(name: string): Pool | undefined {
    return this.connected.get(name);
  }

  /** The node's pool, connecting it if needed. Rejects if the node cannot be reached. */
  async get(name: string): Promise<Pool> {
    const ready = this.connected.get(name);
    if (ready) return ready;
    if (this.closed) throw new RoutingClosedError(`cannot use node ${name}`);
    let pending = this.connecting.get(name);
    if (!pending) {
      const settle = () => {
        this.connects.delete(pending!);
        if (this.connecting.get(name) === pending) this.connecting.delete(name);
      };
      pending = this.connect(name).finally(settle);
      this.connecting.set(name, pending);
      // Every connect under way, a dropped role's too: `close()` waits for them all.
      this.connects.add(pending);
    }
    return pending;
  }

  private async connect(name: string): Promise<Pool> {
    const target = this.topology.connectionOf(name);
    const config = this.poolConfig(name);
    const pool = this.adapter.openPool
      ? await this.adapter.openPool(name, config)
      : new Pool(config);
    this.listened(name, pool);
    try {
      // One connection now, so that a node that is down fails here, as a node failure.
      (await pool.connect()).release();
    } catch (error) {
      await this.closePool(name, pool).catch(() => undefined);
      throw error;
    }
    if (this.closed || this.topology.connectionOf(name) !== target) {
      // Shut down meanwhile, or the role moved while this pool connected: its host may no longer hold it.
      await this.closePool(name, pool).catch(() => undefined);
      throw this.closed
        ? new RoutingClosedError(`cannot use node ${name}`)
        : new NoSuchRoleError(name);
    }
    // The role moved away and back while this pool connected, and another connect finished first:
    // one pool per role. This one is closed (not left open and unreferenced) and that one handed
    // back in this same tick, before a close or a move can end it.
    const current = this.connected.get(name);
    if (current) {
      this.closeLater(name, pool, 'duplicate');
      return current;
    }
    this.connected.set(name, pool);
    const host =
      this.topology.discovering && name === PRIMARY_NODE ? ` (${this.topology.primaryHost})` : '';
    this.logger.log(`connected to ${name}${host}`);
    return pool;
  }

  /** `pool`, heard when an idle connection fails (its server went away): no crash, a warning. */
  private listened(name: string, pool: Pool): Pool {
    pool.on('error', (error) =>
      this.logger.warn(`${name}: idle connection lost: ${error.message}`),
    );
    return pool;
  }

  private poolConfig(name: string): PoolConfig {
    const node = this.topology.connectionOf(name);
    if (!node) throw new NoSuchRoleError(name);
    const o = this.options;
    return pgConfig(node, {
      max: o.poolSize,
      connectionTimeoutMillis: o.connectTimeoutMs,
      statement_timeout: o.statementTimeoutMs,
      // Client-side guard for a node that stops answering without closing the socket.
      query_timeout: o.statementTimeoutMs + o.connectTimeoutMs,
      keepAlive: true,
      application_name: o.applicationName,
      // A replica read sends its in-band check with its first statement (postgres/checked-read.ts).
      ...(name !== PRIMARY_NODE ? { pipeline: true } : {}),
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.connects]);
    const pools = [...this.connected.entries(), ...this.own.entries()];
    this.connected.clear();
    this.own.clear();
    await Promise.allSettled([
      ...pools.map(([name, pool]) => this.closePool(name, pool)),
      ...this.closing,
    ]);
  }
}
