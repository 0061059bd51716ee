import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type { ReplicaStatusRow } from './interfaces/replica-status.interface';
import { NodeRegistry } from './node-registry.service';
import { NodeState } from './node-state.service';
import { RESOLVED_OPTIONS } from './replica-routing.constants';
import { recordLag, routingMetrics } from './metrics/routing.metrics';
import { ReplicaStatusStore } from './replica-status.store';

/**
 * Loads the observer's status table into {@link NodeState} every
 * `statusRefreshMs` (and on demand). Choosing a node only reads that state; it
 * never queries the primary. The positions are hints: a read re-checks the
 * position on the replica itself before it trusts it.
 */
@Injectable()
export class StatusRefresher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(StatusRefresher.name);
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private lastError: string | null = null;
  /** When rows were last loaded (the state's clock); undefined until the first success. */
  lastRefreshedAt: number | undefined;

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedReplicaRoutingOptions,
    private readonly registry: NodeRegistry,
    private readonly store: ReplicaStatusStore,
    private readonly state: NodeState,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.statusRefreshMs <= 0) return;
    if (this.options.replicas.length === 0 && this.options.hosts.length < 2) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.statusRefreshMs);
    this.timer.unref();
  }

  beforeApplicationShutdown(): Promise<void> | undefined {
    clearInterval(this.timer);
    return this.refreshing;
  }

  /** Loads the observer's rows once (single flight). */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async load(): Promise<void> {
    try {
      this.state.applyStatusRows(await this.readRows());
      this.lastRefreshedAt = this.state.now();
      this.lastError = null;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.lastError)
        this.logger.warn(`cannot refresh replica statuses: ${message}`);
      this.lastError = message;
    }
    this.recordGauges();
  }

  /** `replica_routing_node_available` and the lag gauges, from what this process knows now. */
  private recordGauges(): void {
    for (const name of this.registry.names)
      routingMetrics.nodeAvailable.set({ node: name }, this.state.whyNot(name) === null ? 1 : 0);
    recordLag(this.registry.replicaNames.map((name) => ({ name, ...this.state.get(name) })));
  }

  /**
   * The primary has the newest rows; when it is down, any replica's copy is
   * still a lower bound. Benched nodes are skipped, so that a primary behind
   * its breaker costs the refresh nothing; with every node benched the state
   * keeps what it has.
   */
  private async readRows(): Promise<ReplicaStatusRow[]> {
    let lastError: unknown = new Error('every node is benched');
    for (const name of this.registry.names.filter((n) => !this.state.isBenched(n))) {
      try {
        return await this.store.load(await this.registry.get(name));
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }
}
