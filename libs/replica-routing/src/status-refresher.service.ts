import { routingLogger } from './logger';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type { ReplicaStatusRow } from './interfaces/replica-status.interface';
import { type NodeRegistry } from './node-registry.service';
import { type NodeState } from './node-state.service';
import { recordLag, routingMetrics } from './metrics/routing.metrics';
import { type ReplicaStatusStore } from './replica-status.store';
import { within } from './within';
import { WarnThrottle } from './warn.throttle';

/**
 * How far in this process's future the observer's stamp on a row may be (its
 * clock ahead of this one): nearer, the row counts as observed now; further,
 * it is refused. Otherwise the primary's position would pass for fresh
 * (`freshWithinMs`) as much too long, and hide this process's newer samples.
 */
const FUTURE_STAMP_MS = 1000;

/** The newest row older than this: the observer is not writing (warned, once a minute). */
const SILENT_OBSERVER_MS = 30_000;

/**
 * Loads the observer's status table into {@link NodeState} every
 * `statusRefreshMs` (and on demand). Choosing a node only reads that state; it
 * never queries the primary. The positions are hints: a read re-checks the
 * position on the replica itself before it trusts it.
 */
export class StatusRefresher {
  private readonly logger = routingLogger(StatusRefresher.name);
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The nodes the gauges were last set for. */
  private gauged = new Set<string>();
  private refreshing: Promise<void> | undefined;
  private lastError: string | null = null;
  /** When rows were last loaded (the state's monotonic clock, `elapsed`); undefined until the first success. */
  lastRefreshedAt: number | undefined;

  constructor(
    private readonly options: ResolvedReplicaRoutingOptions,
    private readonly registry: NodeRegistry,
    private readonly store: ReplicaStatusStore,
    private readonly state: NodeState,
  ) {}

  start(): void {
    // Once stopped, for good: a start() that awaited discovery while the core closed arms nothing.
    if (this.stopped || this.options.statusRefreshMs <= 0) return;
    if (this.options.replicas.length === 0 && this.options.hosts.length < 2) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.statusRefreshMs);
    this.timer.unref();
  }

  stop(): Promise<void> | undefined {
    this.stopped = true;
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
      this.state.applyStatusRows(this.notAhead(await this.readRows()));
      this.lastRefreshedAt = this.state.elapsed();
      this.lastError = null;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.lastError)
        this.logger.warn(`cannot refresh replica statuses: ${message}`);
      this.lastError = message;
    }
    this.recordGauges();
  }

  /**
   * The rows stamped at most FUTURE_STAMP_MS ahead of this process's clock
   * (the first time it saw them), none after now. Says so (once a minute)
   * when some were further ahead, or when the newest is SILENT_OBSERVER_MS
   * old: positions then stay where they were (lower bounds still), and reads
   * past them go to the primary.
   */
  private notAhead(rows: ReplicaStatusRow[]): ReplicaStatusRow[] {
    const now = this.state.now();
    const ahead = rows.filter((r) => r.observedAt > now + FUTURE_STAMP_MS);
    // Refused once, a row stays refused: a stuck row from a clock far ahead would otherwise pass
    // once this clock caught up with its stamp, as if observed then.
    for (const r of ahead) this.refusedStamps.set(r.name, r.observedAt);
    if (ahead.length > 0)
      this.warnings.warn('skew', this.state.elapsed(), () => {
        const ms = Math.round(Math.max(...ahead.map((r) => r.observedAt)) - now);
        return (
          `the observer stamped ${ahead.length} status rows ${ms} ms after this process's ` +
          'clock: they are ignored until the clocks agree (sync them: NTP)'
        );
      });
    const newest = Math.max(...rows.map((r) => r.observedAt));
    if (rows.length > 0 && now - newest > SILENT_OBSERVER_MS)
      this.warnings.warn('silent', this.state.elapsed(), () => {
        const s = Math.round((now - newest) / 1000);
        return (
          `the newest replica status row is ${s} s old: is the observer running, and saving? ` +
          'Reads past the positions last known go to the primary'
        );
      });
    return rows.flatMap((r) =>
      this.refusedStamps.get(r.name) === r.observedAt
        ? []
        : [r.observedAt > now ? { ...r, observedAt: now } : r],
    );
  }

  /** Per node name, the stamp of the last row refused as too far ahead. */
  private readonly refusedStamps = new Map<string, number>();

  /** Clock skew and a silent observer, each said once a minute. */
  private readonly warnings = new WarnThrottle(this.logger);

  /**
   * `replica_routing_node_available` and the lag gauges, from what this
   * process knows now. A host that left the roles (with `hosts`) shows 0 and
   * no lag, rather than what it last showed.
   */
  private recordGauges(): void {
    const names = this.registry.names;
    for (const name of names)
      routingMetrics.nodeAvailable.set({ node: name }, this.state.whyNot(name) === null ? 1 : 0);
    for (const gone of [...this.gauged].filter((name) => !names.includes(name))) {
      routingMetrics.nodeAvailable.set({ node: gone }, 0);
      routingMetrics.lagBytes.remove({ node: gone });
      routingMetrics.lagSeconds.remove({ node: gone });
    }
    this.gauged = new Set(names);
    recordLag(this.registry.replicaNames.map((name) => ({ name, ...this.state.get(name) })));
  }

  /**
   * The primary has the newest rows; when it is down, any replica's copy is
   * still a lower bound. Benched nodes are skipped, so that a primary behind
   * its breaker costs the refresh nothing; with every node benched the state
   * keeps what it has. Each node gets `connectTimeoutMs`: one that stops
   * answering (its query would wait out its own timeout, 12 s by default)
   * must not hold the positions back until readiness calls them old.
   */
  private async readRows(): Promise<ReplicaStatusRow[]> {
    let lastError: unknown = new Error('every node is benched');
    for (const name of this.registry.names.filter((n) => !this.state.isBenched(n))) {
      // A load given up on still holds a pooled connection until its own timeout: one at a time.
      if (this.pending.has(name)) {
        lastError = new Error(`${name} has not answered the last status query yet`);
        continue;
      }
      const load = this.store.load((sql, values) => this.registry.query(name, sql, values));
      this.pending.add(name);
      void load.catch(() => undefined).finally(() => this.pending.delete(name));
      try {
        return await within(load, this.options.connectTimeoutMs);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  /** Nodes whose status query has not ended yet (it may outlive the refresh that gave up on it). */
  private readonly pending = new Set<string>();
}
