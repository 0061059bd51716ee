import { writeFile } from 'node:fs/promises';
import type { ResolvedObserverOptions } from '../interfaces/replica-observer-options.interface';
import type { ReplicaStatusRow } from '../interfaces/replica-status.interface';
import { routingLogger } from '../logger';
import { recordLag } from '../metrics/routing.metrics';
import type { NodeRegistry } from '../node-registry.service';
import { PRIMARY_NODE } from '../replica-routing.constants';
import type { ReplicaStatusStore } from '../replica-status.store';
import type { TopologyDiscovery } from '../topology/topology-discovery.service';
import { NodeChanges, summarize } from './observer.summary';
import { NOT_A_STANDBY, type ReplicaProbe } from './replica-probe.service';
import { RepeatedFailure } from './repeated-failure';
import { monotonicMs } from '../clock';

/**
 * Every `intervalMs`: ask every node where it is (in parallel, each with a
 * deadline), upsert the answers into the status table on the primary, log one
 * line. A tick still running when the next is due makes that one skip, so a
 * slow database never piles ticks up. Framework-free: `createReplicaObserver`
 * builds one; the Nest module schedules the same ticks.
 */
export class ReplicaObserver {
  private readonly logger = routingLogger('Observer');
  private running: Promise<ReplicaStatusRow[]> | undefined;
  private tickNumber = 0;
  private lastSummaryAt = -Infinity;
  private readonly changes = new NodeChanges();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly heartbeat: RepeatedFailure;
  private readonly saving = new RepeatedFailure(
    this.logger,
    'cannot save statuses',
    'statuses saved again',
  );

  constructor(
    private readonly options: ResolvedObserverOptions,
    private readonly probe: ReplicaProbe,
    private readonly store: ReplicaStatusStore,
    private readonly registry: NodeRegistry,
    private readonly discovery: TopologyDiscovery,
  ) {
    const file = options.heartbeatFile;
    const again = `heartbeat file ${file} written again`;
    this.heartbeat = new RepeatedFailure(this.logger, 'cannot write the heartbeat file', again);
  }

  /** Starts discovery (with `hosts`); `schedule` runs the ticks (default: a timer of its own). */
  async start(schedule?: (tick: () => void, intervalMs: number) => void): Promise<void> {
    await this.discovery.start();
    // Stopped while discovery started: nothing to schedule.
    if (this.stopped) return;
    const tick = () => void this.tick();
    if (schedule) schedule(tick, this.options.intervalMs);
    else this.timer = setInterval(tick, this.options.intervalMs);
    this.logger.log(
      `polling ${this.registry.replicaNames.length} replicas every ${this.options.intervalMs} ms ` +
        `(timeout ${this.options.timeoutMs} ms)`,
    );
  }

  /** Stops its own timer and discovery, and lets a tick in flight finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.all([this.running?.catch(() => undefined), this.discovery.stop()]);
  }

  /** {@link stop}, then closes its pools. */
  async close(): Promise<void> {
    await this.stop();
    await this.registry.close();
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
    // may have moved (with `hosts`; without, this does nothing). A replica that is only down
    // moved nothing: the periodic discovery finds any new one, with no probe of every host a tick.
    if (rows.some((r) => (r.name === PRIMARY_NODE && !r.reachable) || r.error === NOT_A_STANDBY))
      void this.discovery.refresh();
    recordLag(rows.filter((r) => r.role === 'replica' && r.reachable));
    const saved = await this.save(rows);
    const notSaved = this.saving.error ?? 'primary down';
    if (saved && this.options.heartbeatFile) await this.beat(this.options.heartbeatFile, n);
    for (const change of this.changes.update(rows)) this.logger.warn(change);
    const now = monotonicMs();
    if (now - this.lastSummaryAt >= this.options.summaryIntervalMs) {
      this.lastSummaryAt = now;
      this.logger.log(`tick ${n}: ${summarize(rows)}${saved ? '' : `; NOT SAVED (${notSaved})`}`);
    }
    return rows;
  }

  /**
   * Writes the tick number to the heartbeat file. A failure (a missing
   * directory, a full disk) is logged once per distinct error, never thrown:
   * the ticks run from a timer, where a rejection would end the process. A
   * health check reading the file then sees it go stale, as it should.
   */
  private async beat(file: string, n: number): Promise<void> {
    try {
      await writeFile(file, String(n));
      this.heartbeat.worked();
    } catch (error) {
      this.heartbeat.failed(error);
    }
  }

  /**
   * Upserts the rows on the primary. A failure with the primary up (a missing
   * table or column, a privilege, a read-only primary) is logged once per
   * distinct error, and once when saving works again: every 0.5 s it would
   * flood the log.
   */
  private async save(rows: ReplicaStatusRow[]): Promise<boolean> {
    if (!rows.find((r) => r.name === PRIMARY_NODE)?.reachable) {
      this.saving.error = null;
      return false;
    }
    try {
      await this.store.save((sql, values) => this.registry.query(PRIMARY_NODE, sql, values), rows);
      this.saving.worked();
      return true;
    } catch (error) {
      this.saving.failed(error);
      return false;
    }
  }
}
