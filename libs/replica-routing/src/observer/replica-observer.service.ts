import { writeFile } from 'node:fs/promises';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { ResolvedObserverOptions } from '../interfaces/replica-observer-options.interface';
import type { ReplicaStatusRow } from '../interfaces/replica-status.interface';
import { NodeRegistry } from '../node-registry.service';
import { PRIMARY_NODE } from '../replica-routing.constants';
import { ReplicaStatusStore } from '../replica-status.store';
import { recordLag } from '../metrics/routing.metrics';
import { TopologyDiscovery } from '../topology/topology-discovery.service';
import { NodeChanges, summarize } from './observer.summary';
import { RESOLVED_OBSERVER_OPTIONS } from './replica-observer.module-definition';
import { ReplicaProbe } from './replica-probe.service';

const JOB = 'replica-routing-observer';

/**
 * Every `intervalMs`: ask every node where it is (in parallel, each with a
 * deadline), upsert the answers into the status table on the primary, log one
 * line. A tick still running when the next is due makes that one skip, so a
 * slow database never piles ticks up.
 */
@Injectable()
export class ReplicaObserver
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger('Observer');
  private running: Promise<ReplicaStatusRow[]> | undefined;
  private tickNumber = 0;
  private lastSummaryAt = 0;
  private readonly changes = new NodeChanges();

  constructor(
    @Inject(RESOLVED_OBSERVER_OPTIONS) private readonly options: ResolvedObserverOptions,
    private readonly scheduler: SchedulerRegistry,
    private readonly probe: ReplicaProbe,
    private readonly store: ReplicaStatusStore,
    private readonly registry: NodeRegistry,
    private readonly discovery: TopologyDiscovery,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.discovery.start();
    const timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.scheduler.addInterval(JOB, timer);
    this.logger.log(
      `polling ${this.registry.replicaNames.length} replicas every ${this.options.intervalMs} ms ` +
        `(timeout ${this.options.timeoutMs} ms)`,
    );
  }

  /** Lets a tick in flight finish before the pools close. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.scheduler.doesExist('interval', JOB)) this.scheduler.deleteInterval(JOB);
    await Promise.all([this.running?.catch(() => undefined), this.discovery.stop()]);
  }

  /** Its pools close last, with the app. */
  onApplicationShutdown(): Promise<void> {
    return this.registry.close();
  }

  /** One observation; returns what was probed (or null when a tick was already running). */
  async tick(): Promise<ReplicaStatusRow[] | null> {
    if (this.running) return null;
    this.running = this.observe(++this.tickNumber);
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async observe(n: number): Promise<ReplicaStatusRow[]> {
    const rows = await this.probe.probeAll(this.options.timeoutMs);
    // A primary that is gone, or no longer one, or a replica that is not in recovery: the roles
    // may have moved (with `hosts`; without, this does nothing).
    if (rows.some((r) => !r.reachable && (r.name === PRIMARY_NODE || r.lsn === null)))
      void this.discovery.refresh();
    recordLag(rows.filter((r) => r.role === 'replica' && r.reachable));
    const saved = await this.save(rows);
    if (saved && this.options.heartbeatFile) await writeFile(this.options.heartbeatFile, String(n));
    for (const change of this.changes.update(rows)) this.logger.warn(change);
    const now = Date.now();
    if (now - this.lastSummaryAt >= this.options.summaryIntervalMs) {
      this.lastSummaryAt = now;
      this.logger.log(`tick ${n}: ${summarize(rows)}${saved ? '' : '; NOT SAVED (primary down)'}`);
    }
    return rows;
  }

  private async save(rows: ReplicaStatusRow[]): Promise<boolean> {
    if (!rows.find((r) => r.name === PRIMARY_NODE)?.reachable) return false;
    try {
      await this.store.save((sql, values) => this.registry.query(PRIMARY_NODE, sql, values), rows);
      return true;
    } catch (error) {
      this.logger.warn(
        `cannot save statuses: ${error instanceof Error ? error.message : String(error)}`,
      );
      return false;
    }
  }
}
