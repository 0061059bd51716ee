import { codeOf, describeError } from '../db-errors.util';
import type { ResolvedReplicaRoutingOptions } from '../interfaces/replica-routing-options.interface';
import { readHistoryFile } from './host-probe';
import { patroniHistory } from './patroni.client';
import { SpacedFlight } from './spaced-flight';
import type { Topology } from './topology.service';
import { monotonicMs } from '../clock';

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
  /** The timeline whose history cannot be learned here: no Patroni, and no `pg_read_file()`. */
  private unreadableOn: number | null = null;
  /** The timeline for which a wait already ran out: later callers try a load, and do not wait. */
  private gaveUpOn: number | null = null;
  private closed = false;

  constructor(
    private readonly options: ResolvedReplicaRoutingOptions,
    private readonly topology: Topology,
    private readonly note: (problem: string) => void,
  ) {}

  /** Ends every wait, and resolves once no load is in flight. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tries.inFlight;
  }

  /**
   * Loads the history now (discovery's run: it does not wait for the spacing),
   * or joins the load in flight.
   */
  refresh(): Promise<void> {
    return this.tries.runNow();
  }

  /** Loads the history once, when the current timeline is past 1 and where the last one ended is not known. */
  private async load(): Promise<void> {
    const tli = this.topology.timeline;
    if (this.topology.historyComplete || tli === null) return;
    const timeout = this.options.connectTimeoutMs;
    // An answer about a timeline the cluster has since left is of another lineage: dropped.
    const still = () => this.topology.timeline === tli;
    for (const url of this.options.patroniUrls) {
      try {
        const ends = await patroniHistory(url, timeout);
        if (!still()) return;
        // Until Patroni records this promotion, it answers the previous leader's history: another
        // lineage, whose ends may lie past where this one forked. Taken only once it has ours.
        if (!ends.has(tli - 1)) continue;
        this.topology.learnEnds(ends);
        if (this.topology.historyComplete) return;
      } catch (error) {
        this.note(`Patroni ${url}/history: ${describeError(error)}`);
      }
    }
    const primary = this.topology.primaryHost;
    const node = primary === null ? undefined : this.topology.hosts.find((h) => h.name === primary);
    if (!node) return;
    try {
      // The file lists every ancestor: complete even where timeline numbers skip.
      const ends = await readHistoryFile(node, tli, timeout);
      if (still()) this.topology.learnEnds(ends, tli);
    } catch (error) {
      // 42501, insufficient_privilege: no EXECUTE on pg_read_file().
      if (this.options.patroniUrls.length === 0 && codeOf(error) === '42501')
        this.unreadableOn = tli;
      this.note(`cannot read timeline ${tli}'s history on ${primary}: ${describeError(error)}`);
    }
  }

  /**
   * Waits until where the previous timeline ended is known, trying a load
   * every 250 ms (one for all waiters), until `deadline` ({@link monotonicMs}), or
   * `connectTimeoutMs` from now if that is later, so that the first load is
   * tried (a load still running then goes on for later callers). Tries one load and returns
   * where it cannot be learned (static options, no Patroni and no
   * `pg_read_file()`, or a wait for this timeline already ran out). Returns
   * whether it is known.
   */
  async awaitComplete(deadline: number): Promise<boolean> {
    // The first load may run for up to connectTimeoutMs whatever the deadline: one try, bounded.
    const firstBound = monotonicMs() + this.options.connectTimeoutMs;
    for (;;) {
      if (this.topology.historyComplete) return true;
      if (this.closed || !this.topology.discovering) return false;
      await untilDeadline(this.tries.run(), Math.max(deadline, firstBound));
      if (this.topology.historyComplete) return true;
      const tli = this.topology.timeline;
      if (tli === this.unreadableOn || tli === this.gaveUpOn) return false;
      if (monotonicMs() >= deadline) {
        this.gaveUpOn = tli;
        this.note(
          `where timeline ${tli! - 1} ended is still unknown: its tokens cannot be checked, ` +
            'and a token merged across it may be refused as lost',
        );
        return false;
      }
    }
  }
}

/** Resolves when `work` settles or at `deadline` ({@link monotonicMs}), whichever is first. */
async function untilDeadline(work: Promise<unknown>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - monotonicMs()));
  });
  try {
    await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
