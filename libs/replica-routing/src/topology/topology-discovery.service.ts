import { routingLogger } from '../logger';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from '../db-errors.util';
import { PrimaryUnavailableError } from '../exceptions/primary-unavailable.exception';
import { WriteLostError } from '../exceptions/write-lost.exception';
import type { Lsn } from '../lsn.util';
import type { Position } from '../position';
import type {
  ResolvedReplicaNode,
  ResolvedReplicaRoutingOptions,
} from '../interfaces/replica-routing-options.interface';
import { readHistoryFile } from './host-probe';
import { patroniHistory } from './patroni.client';
import { rolesFromHosts, rolesFromPatroni, type RoleSource } from './roles.sources';
import { type Topology } from './topology.service';

/** Discovery never runs more often than this, however often it is prompted. */
const MIN_SPACING_MS = 200;
/** How often a writer waiting for a new primary asks again. */
const ELECTION_POLL_MS = 250;

/**
 * Finds the primary and the replicas among `hosts`: from Patroni's
 * `GET /cluster` where `patroniUrls` are given (the HA manager knows best,
 * and answers without a database connection), else by asking every host
 * `pg_is_in_recovery()`. Runs at start, every `discoveryIntervalMs`, and when
 * the router prompts it (the primary failed, a write was refused as
 * read-only, a newer timeline was seen). Does nothing with static options.
 */
export class TopologyDiscovery {
  private readonly logger = routingLogger('Discovery');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastRunAt = 0;
  private lastProblem: string | null = null;
  private closed = false;
  private readonly source: RoleSource;

  constructor(
    private readonly options: ResolvedReplicaRoutingOptions,
    private readonly topology: Topology,
  ) {
    this.source = { options, topology, note: (problem) => this.note(problem) };
  }

  async start(): Promise<void> {
    if (!this.topology.discovering) return;
    const via = this.options.patroniUrls.length > 0 ? 'Patroni, then the hosts' : 'the hosts';
    this.logger.log(
      `discovering roles among ${this.topology.hosts.map((h) => h.name).join(', ')} from ${via}, ` +
        `every ${this.options.discoveryIntervalMs} ms`,
    );
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.discoveryIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Discovers again (single flight, at most every 200 ms); resolves when done. */
  refresh(): Promise<void> {
    if (!this.topology.discovering || this.closed) return Promise.resolve();
    this.running ??= (async () => {
      const wait = this.lastRunAt + MIN_SPACING_MS - Date.now();
      if (wait > 0) await sleep(wait);
      this.lastRunAt = Date.now();
      await this.discover();
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * For a caller that needs the primary while there is none (an election):
   * discovers again, and waits until the roles change from `version` or one
   * poll period (250 ms) passes, whichever is first, never past `deadline`
   * (ms since epoch). The caller then tries again.
   */
  async awaitChange(version: number, deadline: number): Promise<void> {
    const until = Math.min(deadline, Date.now() + ELECTION_POLL_MS);
    await this.refresh();
    while (this.topology.version === version && Date.now() < until && !this.closed)
      await sleep(Math.max(0, Math.min(50, until - Date.now())));
  }

  /**
   * Loads where earlier timelines ended, when the current one is past 1 and
   * that is not known yet: from Patroni's `/history`, else the primary's
   * history file.
   */
  async loadHistory(): Promise<void> {
    const tli = this.topology.timeline;
    if (tli === null || tli <= 1 || this.topology.knowsEndOf(tli - 1)) return;
    const timeout = this.options.connectTimeoutMs;
    for (const url of this.options.patroniUrls) {
      try {
        this.topology.learnEnds(await patroniHistory(url, timeout));
        if (this.topology.knowsEndOf(tli - 1)) return;
      } catch (error) {
        this.note(`Patroni ${url}/history: ${describeError(error)}`);
      }
    }
    const primary = this.topology.primaryHost;
    const node = primary === null ? undefined : this.host(primary);
    if (!node) return;
    try {
      this.topology.learnEnds(await readHistoryFile(node, tli, timeout));
    } catch (error) {
      this.note(`cannot read timeline ${tli}'s history on ${primary}: ${describeError(error)}`);
    }
  }

  /**
   * Before positions of different timelines are merged (a scope's token from
   * before a failover with a write's token after it): learns where the
   * earlier timeline ended, so that the merge does not take a surviving write
   * for a lost one. Right after a promotion the history may not be readable
   * yet (Patroni records it one HA loop later; the file is readable only by a
   * role allowed `pg_read_file()`), so it is asked again every
   * 250 ms until `deadline` (ms since epoch). Returns whether the merge is
   * exact now. Without `hosts` there is nothing to ask.
   */
  async learnEnds(a: Position, b: Position, deadline: number): Promise<boolean> {
    for (;;) {
      await this.loadHistory();
      if (!this.topology.mergesBlind(a, b)) return true;
      const tli = this.topology.timeline;
      // A history already loaded that lacks the timeline (Patroni keeps only the newest ones).
      const complete = tli !== null && this.topology.knowsEndOf(tli - 1);
      if (complete || !this.topology.discovering || this.closed || Date.now() >= deadline) {
        this.logger.warn(
          `where timeline ${Math.min(a.tli ?? 0, b.tli ?? 0)} ended is not known: ` +
            'a token that spans it may be refused later as lost',
        );
        return false;
      }
      await sleep(Math.min(ELECTION_POLL_MS, deadline - Date.now()));
    }
  }

  /**
   * What a token means on the current timeline (see `Topology.resolve`): a
   * newer timeline than known, or an earlier one whose end is unknown, is
   * looked up first; a token past the end of its timeline is refused with
   * {@link WriteLostError} (`text` names it there).
   */
  async toCurrent(position: Position, text: () => string): Promise<Lsn> {
    let resolved = this.topology.resolve(position);
    if (!resolved.ok && resolved.reason === 'newer') {
      await this.refresh();
      resolved = this.topology.resolve(position);
    }
    if (!resolved.ok && resolved.reason === 'unverifiable') {
      await this.loadHistory();
      resolved = this.topology.resolve(position);
    }
    if (resolved.ok) return resolved.lsn;
    if (resolved.reason === 'newer')
      throw new PrimaryUnavailableError(
        1000,
        undefined,
        `this process has not seen the new primary yet (${resolved.detail})`,
      );
    throw new WriteLostError(text(), resolved.reason, resolved.detail);
  }

  private async discover(): Promise<void> {
    const roles = (await rolesFromPatroni(this.source)) ?? (await rolesFromHosts(this.source));
    if (!roles) return;
    this.topology.apply(roles);
    await this.loadHistory();
  }

  private host(name: string): ResolvedReplicaNode | undefined {
    return this.topology.hosts.find((h) => h.name === name);
  }

  /** Logs a problem once, until a different one comes up. */
  private note(problem: string): void {
    if (problem !== this.lastProblem) this.logger.warn(problem);
    this.lastProblem = problem;
  }
}
