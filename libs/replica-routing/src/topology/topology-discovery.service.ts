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
import { addressOf, probeRole, readHistoryFile } from './host-probe';
import { leaderOf, patroniCluster, patroniHistory, standbysOf } from './patroni.client';
import { type Topology, type Roles } from './topology.service';

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

  constructor(
    private readonly options: ResolvedReplicaRoutingOptions,
    private readonly topology: Topology,
  ) {}

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
    const roles = (await this.fromPatroni()) ?? (await this.fromHosts());
    if (!roles) return;
    this.topology.apply(roles);
    await this.loadHistory();
  }

  private async fromPatroni(): Promise<Roles | undefined> {
    for (const url of this.options.patroniUrls) {
      try {
        const members = await patroniCluster(url, this.options.connectTimeoutMs);
        const leader = leaderOf(members);
        const name = (m: { name: string; host: string | null; port: number | null }) =>
          this.host(m.name)?.name ??
          this.topology.hosts.find((h) => addressOf(h) === `${m.host}:${m.port}`)?.name;
        const primary = leader ? (name(leader) ?? null) : null;
        if (leader && primary === null) {
          // Its name and connect_address match no host: ask the hosts themselves.
          this.note(
            `Patroni's leader ${leader.name} (${leader.host}:${leader.port}) is none of the hosts; asking them`,
          );
          return undefined;
        }
        return {
          primary,
          replicas: standbysOf(members)
            .map(name)
            .filter((n): n is string => n !== undefined),
          timeline: leader?.timeline ?? null,
        };
      } catch (error) {
        this.note(`Patroni ${url}: ${describeError(error)}`);
      }
    }
    return undefined;
  }

  /** Every host in parallel; undefined when none answered (nothing learned: keep what is known). */
  private async fromHosts(): Promise<Roles | undefined> {
    const hosts = this.topology.hosts;
    const answers = await Promise.allSettled(
      hosts.map((h) => probeRole(h, this.options.connectTimeoutMs)),
    );
    const up = hosts
      .map((host, i) => ({ host, answer: answers[i]! }))
      .filter((x) => x.answer.status === 'fulfilled')
      .map((x) => ({
        host: x.host,
        role: (x.answer as PromiseFulfilledResult<{ standby: boolean; tli: number | null }>).value,
      }));
    if (up.length === 0) {
      this.note('no host answered');
      return undefined;
    }
    const primaries = up
      .filter((x) => !x.role.standby)
      .sort((a, b) => (b.role.tli ?? 0) - (a.role.tli ?? 0));
    // Two primaries: the one on the later timeline was promoted; the other is a former primary
    // that has not been stopped yet. On the same timeline neither can be trusted with writes.
    const [first, second] = primaries;
    const ambiguous = second !== undefined && second.role.tli === first!.role.tli;
    if (ambiguous)
      this.note(
        `several hosts are primaries on timeline ${first!.role.tli}: ${primaries.map((p) => p.host.name).join(', ')}`,
      );
    const primary = first && !ambiguous ? first : undefined;
    // A primary that did not answer this time (slow, a blip) keeps its role while no other
    // host claims it: its own failures are what the breaker and the writers' wait are for.
    const current = this.topology.primaryHost;
    const silent = current !== null && !up.some((x) => x.host.name === current);
    // Replicas likewise: one probe that timed out (a busy node) drops no pool.
    const silentReplicas = this.topology.replicas
      .map((r) => r.name)
      .filter((n) => !up.some((x) => x.host.name === n));
    return {
      primary: primary?.host.name ?? (silent && !ambiguous ? current : null),
      replicas: [...up.filter((x) => x.role.standby).map((x) => x.host.name), ...silentReplicas],
      timeline: primary?.role.tli ?? null,
    };
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
