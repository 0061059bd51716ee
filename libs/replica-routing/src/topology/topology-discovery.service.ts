import { routingLogger } from '../logger';
import { setTimeout as sleep } from 'node:timers/promises';
import { PrimaryUnavailableError } from '../exceptions/primary-unavailable.exception';
import { RoutingClosedError } from '../exceptions/routing-closed.exception';
import { WriteLostError } from '../exceptions/write-lost.exception';
import type { Lsn } from '../lsn.util';
import type { Position } from '../position';
import type { RoutingScope } from '../routing-context.service';
import type { ResolvedReplicaRoutingOptions } from '../interfaces/replica-routing-options.interface';
import { HistoryLoader } from './history.loader';
import { SpacedFlight } from './spaced-flight';
import { rolesFromHosts, rolesFromPatroni, type RoleSource } from './roles.sources';
import { type Topology } from './topology.service';
import { within } from '../within';
import { monotonicMs } from '../clock';

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
  private readonly runs = new SpacedFlight(MIN_SPACING_MS, () => this.discover());
  private lastProblem: string | null = null;
  private closed = false;

  /** Stopped (the core is closing): no change will come, and waits for one end at once. */
  get stopped(): boolean {
    return this.closed;
  }
  private readonly source: RoleSource;
  /** Where earlier timelines ended. */
  readonly history: HistoryLoader;

  constructor(
    private readonly options: ResolvedReplicaRoutingOptions,
    private readonly topology: Topology,
  ) {
    this.source = { options, topology, note: (problem) => this.note(problem) };
    this.history = new HistoryLoader(options, topology, (problem) => this.note(problem));
  }

  async start(): Promise<void> {
    if (!this.topology.discovering) return;
    const via = this.options.patroniUrls.length > 0 ? 'Patroni, then the hosts' : 'the hosts';
    this.logger.log(
      `discovering roles among ${this.topology.hosts.map((h) => h.name).join(', ')} from ${via}, ` +
        `every ${this.options.discoveryIntervalMs} ms`,
    );
    await this.refresh();
    // Stopped while the first discovery ran: no timer to outlive the core.
    if (this.closed) return;
    this.timer = setInterval(() => void this.refresh(), this.options.discoveryIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await Promise.all([this.runs.inFlight, this.history.close()]);
  }

  /** Discovers again (single flight, at most every 200 ms); resolves when done. */
  refresh(): Promise<void> {
    if (!this.topology.discovering || this.closed) return Promise.resolve();
    return this.runs.run();
  }

  /**
   * For a caller that needs the primary while there is none (an election):
   * discovers again, and waits until the roles change from `version` or one
   * poll period (250 ms) passes, whichever is first, never past `deadline`
   * ({@link monotonicMs}). The caller then tries again.
   */
  async awaitChange(version: number, deadline: number): Promise<void> {
    const until = Math.min(deadline, monotonicMs() + ELECTION_POLL_MS);
    // A slow run (Patroni URLs that do not answer) goes on for later callers, not past this one's wait.
    await within(this.refresh(), Math.max(0, until - monotonicMs())).catch(() => undefined);
    while (this.topology.version === version && monotonicMs() < until && !this.closed)
      await sleep(Math.max(0, Math.min(50, until - monotonicMs())));
  }

  /**
   * Whether raising `scope` (and the scopes around it) to `position` would
   * merge positions of two timelines while where the earlier one ended is not
   * known (see `Topology.mergesBlind`): the caller then awaits
   * {@link awaitHistory} first, so that the merge does not take a surviving
   * write for a lost one (docs/design.md, "Positions of two timelines merge
   * only once the history is known"). Synchronous: nothing to await on a read
   * or write that needs no history.
   */
  raisesBlind(scope: RoutingScope | undefined, position: Position | null): boolean {
    if (!position || this.topology.historyComplete) return false;
    for (let s = scope; s; s = s.parent)
      if (this.topology.mergesBlind(s.position, position)) return true;
    return false;
  }

  /** Waits up to `electionWaitMs` for where the previous timeline ended (see {@link HistoryLoader}). */
  awaitHistory(): Promise<boolean> {
    return this.history.awaitComplete(monotonicMs() + this.options.electionWaitMs);
  }

  /**
   * What a token means on the current timeline (see `Topology.resolve`): a
   * newer timeline than known, or an earlier one whose end is unknown, is
   * looked up first; a token past the end of its timeline is refused with
   * {@link WriteLostError} (`text` names it there). Once stopped, one that
   * would need a lookup fails with {@link RoutingClosedError}.
   */
  async toCurrent(position: Position, text: () => string): Promise<Lsn> {
    let resolved = this.topology.resolve(position);
    if (!resolved.ok && resolved.reason === 'newer') {
      await within(this.refresh(), this.options.electionWaitMs).catch(() => undefined);
      resolved = this.topology.resolve(position);
    }
    if (!resolved.ok && resolved.reason === 'unverifiable') {
      await this.awaitHistory();
      resolved = this.topology.resolve(position);
    }
    if (resolved.ok) return resolved.lsn;
    // Shutting down, nothing is looked up any more: only a token known to be lost is refused as such.
    if (this.closed && resolved.reason !== 'lost')
      throw new RoutingClosedError(`cannot check a token of timeline ${position.tli}`);
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
    await this.history.refresh();
  }

  /** Logs a problem once, until a different one comes up. */
  private note(problem: string): void {
    if (problem !== this.lastProblem) this.logger.warn(problem);
    this.lastProblem = problem;
  }
}
