import { writeFile } from 'node:fs/promises';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import {
  NodeRegistry,
  PRIMARY_NODE,
  ReplicaProbe,
  ReplicaStatusStore,
  type ReplicaStatusRow,
} from '@app/replica-routing';
import { ObserverConfig } from './observer.config';
import { summarize } from './observer.summary';

const JOB = 'observe-replicas';

/**
 * Every OBSERVER_INTERVAL_MS: ask every node where it is (in parallel, each
 * with a deadline), upsert the answers into replica_statuses on the primary,
 * log one line. A tick still running when the next is due makes that one skip,
 * so a slow database never piles ticks up.
 */
@Injectable()
export class ObserverService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Observer');
  private running = false;
  private tickNumber = 0;

  constructor(
    @Inject(ObserverConfig) private readonly config: ObserverConfig,
    private readonly scheduler: SchedulerRegistry,
    private readonly probe: ReplicaProbe,
    private readonly store: ReplicaStatusStore,
    private readonly registry: NodeRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => void this.tick(), this.config.OBSERVER_INTERVAL_MS);
    this.scheduler.addInterval(JOB, timer);
    this.logger.log(
      `polling ${this.registry.replicaNames.length} replicas every ${this.config.OBSERVER_INTERVAL_MS} ms ` +
        `(timeout ${this.config.OBSERVER_TIMEOUT_MS} ms)`,
    );
  }

  /** One observation; returns what was saved (or null when skipped). Public for tests. */
  async tick(): Promise<ReplicaStatusRow[] | null> {
    if (this.running) return null;
    this.running = true;
    const n = ++this.tickNumber;
    try {
      const rows = await this.probe.probeAll(this.config.OBSERVER_TIMEOUT_MS);
      const saved = await this.save(rows);
      if (saved && this.config.OBSERVER_HEARTBEAT_FILE)
        await writeFile(this.config.OBSERVER_HEARTBEAT_FILE, String(n));
      this.logger.log(`tick ${n}: ${summarize(rows)}${saved ? '' : '; NOT SAVED (primary down)'}`);
      return rows;
    } finally {
      this.running = false;
    }
  }

  private async save(rows: ReplicaStatusRow[]): Promise<boolean> {
    if (!rows.find((r) => r.name === PRIMARY_NODE)?.reachable) return false;
    try {
      await this.store.save(await this.registry.get(PRIMARY_NODE), rows);
      return true;
    } catch (error) {
      this.logger.warn(
        `cannot save statuses: ${error instanceof Error ? error.message : String(error)}`,
      );
      return false;
    }
  }
}
