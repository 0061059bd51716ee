import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type { ReplicaStatusRow } from './interfaces/replica-status.interface';
import { maxLsn, type Lsn } from './lsn.util';
import { NodeHealth } from './node-health.service';
import { NodeRegistry } from './node-registry.service';
import { PRIMARY_NODE, RESOLVED_OPTIONS } from './replica-routing.constants';
import { ReplicaStatusStore } from './replica-status.store';

export interface CachedPosition {
  /** Replayed position, a lower bound of the truth when observed; null if never seen. */
  lsn: Lsn | null;
  /** When it was observed (ms since epoch). */
  observedAt: number;
  reachable: boolean;
  /** When this process learned `reachable` (local ms): a row it had not seen, or a read's outcome. */
  reachableSince: number;
  lagBytes: number | null;
  source: 'observer' | 'read';
}

/**
 * Each process's picture of how far every replica has replayed (the LSN tracker).
 * Fed by the observer's table on an interval; routed reads, which read the
 * replica's position on the same connection anyway, can only lower it. Choosing a node
 * only reads this cache; it never queries the primary. The cache is a hint: a
 * read re-checks the position on the replica itself before it trusts it.
 */
@Injectable()
export class ReplicaStatusCache implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ReplicaStatusCache.name);
  private readonly positions = new Map<string, CachedPosition>();
  private highestPrimaryLsn: Lsn | null = null;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private lastRefreshError: string | null = null;

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedReplicaRoutingOptions,
    private readonly registry: NodeRegistry,
    private readonly store: ReplicaStatusStore,
    private readonly health: NodeHealth,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.statusRefreshMs <= 0 || this.options.replicas.length === 0) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.statusRefreshMs);
    this.timer.unref();
  }

  beforeApplicationShutdown(): Promise<void> | undefined {
    clearInterval(this.timer);
    return this.refreshing;
  }

  get(name: string): CachedPosition | undefined {
    return this.positions.get(name);
  }

  /**
   * Whether reads may try `name`. A replica reported unreachable is skipped,
   * but only while that news is fresh (`replicaBenchMs`): with the observer
   * down nobody would ever report it back, so after that a read tries it
   * again (its in-band check decides, and the breaker counts a failure).
   */
  mayTry(name: string): boolean {
    const cached = this.positions.get(name);
    if (!cached) return false;
    return cached.reachable || Date.now() - cached.reachableSince >= this.options.replicaBenchMs;
  }

  /** The furthest position the primary is known to have reached (writes, observer). */
  get primaryLsn(): Lsn | null {
    return this.highestPrimaryLsn;
  }

  /**
   * A position read on the replica itself. It may lower the cached value (the
   * replica restarted, or was re-cloned: fresher bad news wins) but never raise
   * it: raising it from reads would make the replica that served last the only
   * one known to be current, and pin the next reads on it. The observer raises
   * every replica alike.
   */
  observeReplica(name: string, lsn: Lsn | null): void {
    const previous = this.positions.get(name);
    if (previous && previous.lsn !== null && lsn !== null && lsn >= previous.lsn) {
      if (!previous.reachable)
        Object.assign(previous, { reachable: true, reachableSince: Date.now() });
      return;
    }
    this.positions.set(name, {
      lsn,
      observedAt: Date.now(),
      reachable: true,
      reachableSince: Date.now(),
      lagBytes: previous?.lagBytes ?? null,
      source: 'read',
    });
  }

  markUnreachable(name: string): void {
    const previous = this.positions.get(name);
    if (previous) Object.assign(previous, { reachable: false, reachableSince: Date.now() });
  }

  observePrimary(lsn: Lsn | null): void {
    this.highestPrimaryLsn = maxLsn(this.highestPrimaryLsn, lsn);
  }

  /** Loads the observer's rows; runs on the interval, and on demand (single flight). */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async load(): Promise<void> {
    try {
      this.apply(await this.readRows());
      this.lastRefreshError = null;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.lastRefreshError)
        this.logger.warn(`cannot refresh replica statuses: ${message}`);
      this.lastRefreshError = message;
    }
  }

  /**
   * The primary has the newest rows; when it is down, any replica's copy is
   * still a lower bound. Benched nodes are skipped, so that a primary behind
   * its breaker costs the refresh nothing; with every node benched the cache
   * keeps what it has.
   */
  private async readRows(): Promise<ReplicaStatusRow[]> {
    let lastError: unknown = new Error('every node is benched');
    for (const name of this.registry.names.filter((n) => this.health.isAvailable(n))) {
      try {
        return await this.store.load(await this.registry.get(name));
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  private apply(rows: ReplicaStatusRow[]): void {
    for (const row of rows) {
      if (row.name === PRIMARY_NODE) {
        this.observePrimary(row.lsn);
        continue;
      }
      const current = this.positions.get(row.name);
      // An older observation never overwrites a newer one (a read's own check,
      // say), and a row seen before brings no news (the observer is down).
      if (current && current.observedAt >= row.observedAt) continue;
      this.positions.set(row.name, {
        lsn: row.lsn,
        observedAt: row.observedAt,
        reachable: row.reachable,
        reachableSince: Date.now(),
        lagBytes: row.lagBytes,
        source: 'observer',
      });
    }
  }
}
