import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type {
  NodeConnectionOptions,
  PostgresDataSourceOptions,
  ResolvedReplicaRoutingOptions,
} from './interfaces/replica-routing-options.interface';
import { NodeOverloadedError } from './exceptions/node-overloaded.exception';
import { publishZeroCounters } from './metrics/routing.metrics';
import { QueryCounterLogger, type QueryCount } from './query-counter.logger';
import { PRIMARY_NODE, RESOLVED_OPTIONS } from './replica-routing.constants';
import { Topology } from './topology/topology.service';

/**
 * One TypeORM DataSource (one pg pool) per routing name (`primary`, each
 * replica). Nodes connect lazily and independently, so a node that is down at
 * boot stops nothing: the first use that finds it back connects it. When the
 * topology moves a name to another host (a failover), its pool is closed and
 * the next use connects to the new one. Every pool is closed on shutdown.
 */
@Injectable()
export class NodeRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger(NodeRegistry.name);
  private readonly connecting = new Map<string, Promise<DataSource>>();
  private readonly connected = new Map<string, DataSource>();
  private readonly counts = new Map<string, QueryCount>();
  private readonly inFlight = new Map<string, number>();
  private closed = false;

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedReplicaRoutingOptions,
    private readonly topology: Topology,
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
   * Closes `name`'s pool in the background. The pg pool itself is ended, not
   * the DataSource: `DataSource.destroy()` releases the query runners still
   * at work, and the pool would hand their connections, mid-transaction, to
   * queued callers. Ended, it closes each connection as its runner releases it.
   */
  private drop(name: string): void {
    const dataSource = this.connected.get(name);
    this.connected.delete(name);
    this.connecting.delete(name);
    if (!dataSource) return;
    const pool = (dataSource.driver as unknown as { master?: { end(): Promise<void> } }).master;
    void (pool ? pool.end() : dataSource.destroy()).catch((error: unknown) =>
      this.logger.warn(`closing ${name}'s old pool: ${String(error)}`),
    );
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

  /**
   * Takes one of the node's `poolSize + maxQueuedPerNode` slots (a query
   * running, or waiting for a pooled connection) and returns its release; when
   * every slot is taken, throws {@link NodeOverloadedError} at once.
   */
  admit(name: string): () => void {
    const taken = this.inFlight.get(name) ?? 0;
    if (taken >= this.options.poolSize + this.options.maxQueuedPerNode)
      throw new NodeOverloadedError(name);
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

  /** The node's DataSource, connecting it if needed. Rejects if the node cannot be reached. */
  async get(name: string): Promise<DataSource> {
    const ready = this.connected.get(name);
    if (ready) return ready;
    if (this.closed) throw new Error(`NodeRegistry is shut down; cannot use node ${name}`);
    let pending = this.connecting.get(name);
    if (!pending) {
      const settle = () => {
        if (this.connecting.get(name) === pending) this.connecting.delete(name);
      };
      pending = this.connect(name).finally(settle);
      this.connecting.set(name, pending);
    }
    return pending;
  }

  private async connect(name: string): Promise<DataSource> {
    const target = this.topology.connectionOf(name);
    const dataSource = new DataSource(this.dataSourceOptions(name));
    try {
      await dataSource.initialize();
    } catch (error) {
      // A failed initialize may leave a pool behind; drop it before the next attempt.
      await dataSource.driver.disconnect().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await dataSource.destroy();
      throw new Error(`NodeRegistry is shut down; cannot use node ${name}`);
    }
    if (this.topology.connectionOf(name) !== target) {
      // The role moved while this pool connected: its host may no longer hold it.
      await dataSource.destroy();
      throw noSuchRole(name);
    }
    this.connected.set(name, dataSource);
    const host =
      this.topology.discovering && name === PRIMARY_NODE ? ` (${this.topology.primaryHost})` : '';
    this.logger.log(`connected to ${name}${host}`);
    return dataSource;
  }

  private dataSourceOptions(name: string): PostgresDataSourceOptions {
    const node = this.nodeOptions(name);
    const o = this.options;
    return {
      ...node.dataSource,
      type: 'postgres',
      ...(node.url ? { url: node.url } : {}),
      entities: o.entities,
      logger: new QueryCounterLogger(name, this.queryCount(name)),
      synchronize: false,
      migrationsRun: false,
      applicationName: o.applicationName,
      connectTimeoutMS: o.connectTimeoutMs,
      extra: {
        max: o.poolSize,
        connectionTimeoutMillis: o.connectTimeoutMs,
        statement_timeout: o.statementTimeoutMs,
        // Client-side guard for a node that stops answering without closing the socket.
        query_timeout: o.statementTimeoutMs + o.connectTimeoutMs,
        keepAlive: true,
        // A replica read sends its in-band check with its first statement (postgres/checked-read.ts).
        ...(name !== PRIMARY_NODE && o.pipelineReads ? { pipeline: true } : {}),
        ...(node.dataSource?.extra as object | undefined),
      },
    };
  }

  private nodeOptions(name: string): NodeConnectionOptions {
    const node = this.topology.connectionOf(name);
    if (!node) throw noSuchRole(name);
    return node;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.connecting.values()]);
    const sources = [...this.connected.values()];
    this.connected.clear();
    await Promise.allSettled(sources.map((ds) => ds.destroy()));
  }
}

/**
 * No host holds this role now (no primary during an election, or a replica
 * that left the rotation): a connection failure for the caller, so that the
 * primary's breaker and a writer's wait for a new primary apply.
 */
function noSuchRole(name: string): Error {
  return Object.assign(
    new Error(name === PRIMARY_NODE ? 'no primary is known now' : `${name} is not a replica now`),
    { code: '08001' },
  );
}
