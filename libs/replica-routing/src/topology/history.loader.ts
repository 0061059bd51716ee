import { codeOf, describeError } from '../db-errors.util';
import type { ResolvedReplicaRoutingOptions } from '../interfaces/replica-routing-options.interface';
import { readHistoryFile } from './host-probe';
import { patroniHistory } from './patroni.client';
import { SpacedFlight } from './spaced-flight';
import type { Topology } from './topology.service';

/** Loads are never tried more often than this, however many callers wait. */
const MIN_SPACING_MS = 250;

/**
 * Learns where earlier timelines ended (docs/design.md, "Failover and
 * timelines"): from Patroni's `GET /history`, else the primary's timeline
 * history file. Right after a promotion neither may have it yet: Patroni
 * records the new timeline's history one HA loop (`loop_wait`) later, so a
 * caller that needs it waits ({@link awaitComplete}) while one load at a time
 * is tried for all of them.
 */
export class HistoryLoader {
  /** One load at a time for every waiter. */
  private readonly tries = new SpacedFlight(MIN_SPACING_MS, () => this.load());
  /**
   * No Patroni to ask, and the role may not run `pg_read_file()`: the history
   * cannot be learned, so nobody waits for it.
   */
  private unreadable = false;
  private closed = false;

  constructor(
    private readonly options: ResolvedReplicaRoutingOptions,
    private readonly topology: Topology,
    private readonly note: (problem: string) => void,
  ) {}

  close(): void {
    this.closed = true;
  }

  /** Loads the history once, when the current timeline is past 1 and where the last one ended is not known. */
  async load(): Promise<void> {
    const tli = this.topology.timeline;
    if (this.topology.historyComplete || tli === null) return;
    const timeout = this.options.connectTimeoutMs;
    for (const url of this.options.patroniUrls) {
      try {
        this.topology.learnEnds(await patroniHistory(url, timeout));
        if (this.topology.historyComplete) return;
      } catch (error) {
        this.note(`Patroni ${url}/history: ${describeError(error)}`);
      }
    }
    const primary = this.topology.primaryHost;
    const node = primary === null ? undefined : this.topology.hosts.find((h) => h.name === primary);
    if (!node) return;
    try {
      this.topology.learnEnds(await readHistoryFile(node, tli, timeout));
      this.unreadable = false;
    } catch (error) {
      // 42501, insufficient_privilege: no EXECUTE on pg_read_file().
      this.unreadable = this.options.patroniUrls.length === 0 && codeOf(error) === '42501';
      this.note(`cannot read timeline ${tli}'s history on ${primary}: ${describeError(error)}`);
    }
  }

  /**
   * Waits until where the previous timeline ended is known, trying a load
   * every 250 ms (one for all waiters), up to `deadline` (ms since epoch).
   * Returns at once where it cannot be learned (static options, or no Patroni
   * and no `pg_read_file()`). Returns whether it is known.
   */
  async awaitComplete(deadline: number): Promise<boolean> {
    while (!this.topology.historyComplete) {
      if (this.unreadable || !this.topology.discovering || this.closed) return false;
      if (Date.now() >= deadline) {
        this.note(
          `where timeline ${this.topology.timeline! - 1} ended is still unknown: ` +
            'tokens of it cannot be checked, and one merged across it may be refused as lost',
        );
        return false;
      }
      await this.tries.run();
    }
    return true;
  }
}
