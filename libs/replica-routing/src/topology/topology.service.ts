import { routingLogger } from '../logger';
import type {
  NodeConnectionOptions,
  ResolvedReplicaNode,
  ResolvedReplicaRoutingOptions,
} from '../interfaces/replica-routing-options.interface';
import type { Lsn } from '../lsn.util';
import { PRIMARY_NODE } from '../replica-routing.constants';
import { laterPosition, resolvePosition, type Resolution } from './timeline-history';
import type { Position } from '../position';

/** What discovery found: which host is the primary, which are replicas, and the primary's timeline. */
export interface Roles {
  primary: string | null;
  replicas: string[];
  timeline: number | null;
}

type MaybePosition = Position | null | undefined;

/** Names whose node changed under them: their pools and state must be dropped. */
export type TopologyListener = (changed: readonly string[]) => void;

/**
 * Who is who, now. With static options (`primary` + `replicas`) nothing here
 * ever changes. With `hosts`, {@link TopologyDiscovery} fills it: the
 * primary's routing name stays `primary` (in `Served-By`, metrics, the status
 * table), bound to whichever host holds that role; replicas go by their host
 * names. It also knows the current timeline and where earlier ones ended, to
 * tell what a token of an earlier timeline means (docs/design.md, "Failover
 * and timelines").
 */
export class Topology {
  private readonly logger = routingLogger(Topology.name);
  readonly discovering: boolean;
  private readonly hostsByName: ReadonlyMap<string, ResolvedReplicaNode>;
  private primaryHostName: string | null;
  private replicaList: ResolvedReplicaNode[];
  private readonly ends = new Map<number, Lsn>();
  /** The newest timeline whose history file was read. */
  private historyRead: number | null = null;
  private readonly listeners: TopologyListener[] = [];
  private readonly failoverListeners: (() => void)[] = [];
  /** The primary's timeline as last seen (null until then). */
  timeline: number | null = null;
  /** Bumped on every change of roles: a writer that waits for a new primary watches it. */
  version = 0;

  constructor(private readonly options: ResolvedReplicaRoutingOptions) {
    this.discovering = options.hosts.length > 0;
    this.hostsByName = new Map(options.hosts.map((h) => [h.name, h]));
    this.primaryHostName = this.discovering ? null : PRIMARY_NODE;
    this.replicaList = this.discovering ? [] : options.replicas;
  }

  /** Replicas in rotation now, with their weights. */
  get replicas(): readonly ResolvedReplicaNode[] {
    return this.replicaList;
  }

  /** The host that is the primary now (`primary` with static options); null while none is known. */
  get primaryHost(): string | null {
    return this.primaryHostName;
  }

  /** Every configured host (discovery), whatever its role. */
  get hosts(): readonly ResolvedReplicaNode[] {
    return [...this.hostsByName.values()];
  }

  isReplica(name: string): boolean {
    return this.replicaList.some((r) => r.name === name);
  }

  /** How to connect to the node a routing name stands for now; undefined when that role is vacant. */
  connectionOf(name: string): NodeConnectionOptions | undefined {
    if (!this.discovering)
      return name === PRIMARY_NODE
        ? this.options.primary
        : this.options.replicas.find((r) => r.name === name);
    if (name === PRIMARY_NODE)
      return this.primaryHostName === null ? undefined : this.hostsByName.get(this.primaryHostName);
    return this.isReplica(name) ? this.hostsByName.get(name) : undefined;
  }

  onChange(listener: TopologyListener): void {
    this.listeners.push(listener);
  }

  /** `listener` runs when the primary is seen on a newer timeline than one known: a failover. */
  onFailover(listener: () => void): void {
    this.failoverListeners.push(listener);
  }

  /** Applies discovered roles; returns whether the primary changed. */
  apply(roles: Roles): boolean {
    if (roles.timeline !== null) this.observeTimeline(roles.timeline);
    const replicas = roles.replicas
      .filter((n) => n !== roles.primary && this.hostsByName.has(n))
      .map((n) => this.hostsByName.get(n)!);
    const before = new Set(this.replicaList.map((r) => r.name));
    const after = new Set(replicas.map((r) => r.name));
    const changed = [...before].filter((n) => !after.has(n));
    changed.push(...[...after].filter((n) => !before.has(n)));
    const primaryChanged = roles.primary !== this.primaryHostName;
    if (primaryChanged) changed.push(PRIMARY_NODE);
    if (changed.length === 0) return false;
    if (primaryChanged)
      this.logger.warn(
        roles.primary === null
          ? `no primary now (was ${this.primaryHostName}); writes wait for one`
          : `primary is now ${roles.primary}` +
              (this.primaryHostName ? ` (was ${this.primaryHostName})` : '') +
              (this.timeline !== null ? `, timeline ${this.timeline}` : ''),
      );
    if (!primaryChanged || before.size !== after.size)
      this.logger.log(`replicas: ${replicas.map((r) => r.name).join(', ') || 'none'}`);
    this.primaryHostName = roles.primary;
    this.replicaList = replicas;
    this.version++;
    for (const listener of this.listeners) listener(changed);
    return primaryChanged;
  }

  /** A timeline the primary was seen on; true when it is newer than the one known. */
  observeTimeline(tli: number): boolean {
    if (this.timeline !== null && tli <= this.timeline) return false;
    const failover = this.timeline !== null;
    if (failover) this.logger.warn(`timeline ${tli} (was ${this.timeline}): a failover happened`);
    this.timeline = tli;
    // What is known of earlier timelines was the old one's lineage: the new one may not descend
    // from all of it (a promoted node that never followed the last timeline). Learnt again.
    this.ends.clear();
    if (failover) for (const listener of this.failoverListeners) listener();
    return true;
  }

  /**
   * Where earlier timelines ended, from a history file or Patroni's
   * `/history`; `of`: the timeline whose history file it is (it lists every
   * ancestor, so that timeline's history is complete).
   */
  learnEnds(ends: ReadonlyMap<number, Lsn>, of?: number): void {
    // A history file lists exactly the ancestors of its timeline: it replaces what was known.
    if (of !== undefined && of === this.timeline) this.ends.clear();
    for (const [tli, lsn] of ends) this.ends.set(tli, lsn);
    if (of !== undefined) this.historyRead = Math.max(this.historyRead ?? 0, of);
  }

  /**
   * Whether where every earlier timeline ended is known: the previous one's
   * end, or the current one's history file (always, on timeline 1 or none seen).
   */
  get historyComplete(): boolean {
    const tli = this.timeline;
    return tli === null || tli <= 1 || this.ends.has(tli - 1) || this.historyRead === tli;
  }

  knowsEndOf(tli: number): boolean {
    return this.ends.has(tli);
  }

  /** What `position` means on the current timeline (see {@link resolvePosition}). */
  resolve(position: Position): Resolution {
    return resolvePosition(position, this.timeline, this.ends);
  }

  /**
   * Whether merging these positions would have to guess: they are on
   * different timelines, and where an earlier one ended is not known yet.
   * {@link later} then keeps the earlier timeline, which resolves as lost
   * even when the write survived; learn the history first
   * (`HistoryLoader.awaitComplete`).
   */
  mergesBlind(a: MaybePosition, b: MaybePosition, c: MaybePosition = null): boolean {
    const newest = Math.max(a?.tli ?? 0, b?.tli ?? 0, c?.tli ?? 0);
    return this.endUnknown(a, newest) || this.endUnknown(b, newest) || this.endUnknown(c, newest);
  }

  private endUnknown(position: MaybePosition, newest: number): boolean {
    const tli = position?.tli ?? null;
    return tli !== null && tli !== newest && !this.ends.has(tli);
  }

  /** The later of two positions (see {@link laterPosition}), with what is known of the history. */
  later(a: Position | null | undefined, b: Position | null | undefined): Position | null {
    return laterPosition(a, b, this.ends);
  }
}
