import { routingLogger } from './logger';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type { ReplicaStatusRow } from './interfaces/replica-status.interface';
import { Breaker, nodeBreakerPolicy } from './breaker';
import { monotonicMs } from './clock';
import { maxLsn, type Lsn } from './lsn.util';
import { newRecord, seconds, type Admission, type NodeRecord } from './node-record';
import { PRIMARY_NODE } from './replica-routing.constants';
import { lagOf, positionProblem, type ReplicaCandidate } from './replica-selection.policy';
import { type Topology } from './topology/topology.service';

/**
 * The one home of per-node state in a process: position, reachability,
 * breaker ({@link Breaker}) and wait penalty. Lower layers report what they
 * observed; the router records it here; selection and `GET /replicas` read
 * it. {@link whyNot} answers "why not this node, now".
 */
export class NodeState {
  private readonly logger = routingLogger(NodeState.name);
  private readonly records = new Map<string, NodeRecord>();
  /** Wall time: when positions were observed, as the observer's rows stamp them. Tests move it. */
  now: () => number = Date.now;
  /** Monotonic time: breakers, wait penalties, reachability news ({@link monotonicMs}). */
  elapsed: () => number = monotonicMs;

  constructor(
    private readonly options: ResolvedReplicaRoutingOptions,
    private readonly topology: Topology,
  ) {
    const forget = (name: string) => {
      this.records.delete(name);
      this.movedAt.set(name, this.now());
    };
    // A name on another host (or role) starts over: what was known of it was another node's.
    topology.onChange((names) => names.forEach(forget));
    // So does the primary after a failover: its position, samples and breaker were the old one's.
    topology.onFailover(() => forget(PRIMARY_NODE));
  }

  /** When each name last moved to another host: older observations of it are of that other host. */
  private readonly movedAt = new Map<string, number>();
  /** Each record's breaker, made on first use (a record replaced on a move gets a new one). */
  private readonly breakers = new WeakMap<NodeRecord, Breaker>();

  /** An outcome of an attempt admitted before `name` last moved (its record then): another host's. */
  private elsewhere(name: string, admitted: Admission | undefined): boolean {
    return admitted !== undefined && admitted !== this.records.get(name);
  }

  /** The furthest position the primary is known to have reached. */
  get primaryLsn(): Lsn | null {
    return this.record(PRIMARY_NODE).lsn;
  }

  /** A copy of what is known of `name`. */
  get(name: string): Readonly<NodeRecord> {
    return { ...this.record(name) };
  }

  /** Open, or half-open with its trial in flight: no attempt may go to the node now. */
  isBenched(name: string): boolean {
    return this.breaker(name).refusing;
  }

  /**
   * Whether an attempt may go to `name` now: its {@link Admission}, or null.
   * A half-open node lets this one through as its trial: report its outcome,
   * with the admission, to recordSuccess, recordFailure or endTrial.
   */
  admit(name: string): Admission | null {
    return this.breaker(name).admit() ? this.record(name) : null;
  }

  /** An attempt ended with no verdict on the node (load, or it never reached the node). */
  endTrial(name: string, admitted?: Admission): void {
    if (!this.elsewhere(name, admitted)) this.breaker(name).endTrial();
  }

  /** Milliseconds until a benched node is tried again (0 when not benched). */
  retryInMs(name: string): number {
    return this.breaker(name).retryInMs();
  }

  /** An attempt on `name` succeeded (without `admitted`: one on the host it holds now). */
  recordSuccess(name: string, admitted?: Admission): void {
    if (this.elsewhere(name, admitted)) return;
    if (this.breaker(name).succeed()) this.logger.log(`${name} is back`);
  }

  /** An attempt on `name` failed because of the node (see `isNodeFailure`). */
  recordFailure(name: string, error: unknown, admitted?: Admission): void {
    if (this.elsewhere(name, admitted)) return;
    const r = this.record(name);
    if (name !== PRIMARY_NODE && r.observedAt !== null) this.report(r, false, true);
    const ms = this.breaker(name).fail(error);
    if (ms !== null)
      this.logger.warn(`${name} failed ${r.failures}x (${r.lastError}); benched for ${ms} ms`);
  }

  /** A position the primary has reached; with `at` (when read), a sample: {@link primaryPositionSince}. */
  observePrimary(lsn: Lsn | null, at?: number): void {
    const r = this.record(PRIMARY_NODE);
    r.lsn = maxLsn(r.lsn, lsn);
    if (lsn !== null && at !== undefined && (r.observedAt === null || at >= r.observedAt)) {
      r.observedAt = at;
      r.sampledLsn = lsn;
    }
  }

  /**
   * The primary's position as read at or after `since` (ms), or null when no
   * such sample is known. Every commit that finished before `since` is at or
   * before it: a replica that has replayed it has them all.
   */
  primaryPositionSince(since: number): Lsn | null {
    const r = this.record(PRIMARY_NODE);
    return r.observedAt !== null && r.observedAt >= since ? r.sampledLsn : null;
  }

  /**
   * A replayed position read on the replica itself (null: not in recovery).
   * It may lower the known position (the replica restarted or was re-cloned:
   * fresher bad news wins) but never raise it: raising it from reads would
   * make the replica that served last the only one known to be current, and
   * pin the next reads on it. The observer raises every replica alike.
   */
  observeReplay(name: string, lsn: Lsn | null): void {
    const r = this.record(name);
    this.report(r, true);
    if (r.observedAt !== null && r.lsn !== null && lsn !== null && lsn >= r.lsn) return;
    Object.assign(r, { lsn, observedAt: this.now(), source: 'read' });
  }

  /** The observer's rows. An older observation never overwrites a newer one, and a row seen before brings no news. */
  applyStatusRows(rows: readonly ReplicaStatusRow[]): void {
    for (const row of rows) {
      if (row.observedAt < (this.movedAt.get(row.name) ?? 0)) continue;
      if (row.name === PRIMARY_NODE) {
        this.observePrimary(row.lsn, row.observedAt);
        continue;
      }
      const r = this.record(row.name);
      if (r.observedAt !== null && r.observedAt >= row.observedAt) continue;
      // Unreachable, its row keeps the position last seen: no news, and too high once re-cloned.
      Object.assign(r, {
        lsn: row.reachable || r.lsn === null ? row.lsn : r.lsn,
        observedAt: row.observedAt,
        source: 'observer',
        lagBytes: row.lagBytes,
        lagSeconds: row.lagSeconds,
      });
      this.report(r, row.reachable, true);
    }
  }

  /**
   * A try on `name` came up short: its check said it had not replayed the
   * read's token (after any wait). Reads neither guess nor wait on it for
   * `waitPenaltyMs`, or until it is seen to move.
   */
  recordRefusal(name: string): void {
    const r = this.record(name);
    r.noWaitUntil = this.elapsed() + this.options.waitPenaltyMs;
    r.stuckAt = r.lsn;
  }

  /** The replicas as the selection policy sees them. */
  candidates(): ReplicaCandidate[] {
    return this.topology.replicas.map(({ name, weight }) => {
      const r = this.record(name);
      return {
        name,
        weight,
        available: this.unavailable(name, r) === null,
        lsn: r.lsn,
        lagBytes: lagOf(r, this.primaryLsn),
        waitable: this.waitable(r),
      };
    });
  }

  /**
   * Why a read would not go to `name` now, or null if it could. Without a
   * token: only what the node's state rules out (breaker, reachability,
   * weight, no position). With one (null for a tokenless read): also whether
   * its known position serves that read. The same rules as the selection.
   */
  whyNot(name: string, token?: Lsn | null): string | null {
    // With hosts, before any host was ever found to be the primary (none answers): no primary. Once
    // one was, an election keeps the breaker's say: writes wait it out in the process.
    const { discovering, primaryHost, timeline } = this.topology;
    if (name === PRIMARY_NODE && discovering && primaryHost === null && timeline === null)
      return 'unknown: no host has been found to be the primary yet';
    const replica = this.topology.replicas.find((x) => x.name === name);
    if (name !== PRIMARY_NODE && !replica)
      return this.topology.hosts.some((h) => h.name === name)
        ? 'not a replica now (the primary, or not running as a standby)'
        : 'not a configured node';
    const r = this.record(name);
    const unavailable = this.unavailable(name, r);
    if (unavailable !== null || !replica) return unavailable;
    if (replica.weight === 0) return 'weight 0: out of rotation';
    if (r.lsn === null) return 'no replayed position known yet';
    if (token === undefined) return null;
    return positionProblem(
      { lsn: r.lsn, lagBytes: lagOf(r, this.primaryLsn) },
      { ...this.options, token },
    );
  }

  private unavailable(name: string, r: NodeRecord): string | null {
    const now = this.elapsed();
    const breaker = this.breaker(name).why();
    if (breaker !== null || name === PRIMARY_NODE) return breaker;
    if (r.observedAt === null) return 'never observed (no status row, no read yet)';
    const quietFor = this.options.unreachableReportMs - (now - r.reachableSince);
    if (!r.reachable && quietFor > 0)
      return `reported unreachable ${seconds(now - r.reachableSince)} ago; tried again in ${seconds(quietFor)}`;
    return null;
  }

  /** The node's breaker ({@link nodeBreakerPolicy}), made on the record's first use. */
  private breaker(name: string): Breaker {
    const record = this.record(name);
    let breaker = this.breakers.get(record);
    if (!breaker) {
      const policy = nodeBreakerPolicy(this.options, name === PRIMARY_NODE);
      breaker = new Breaker(record, policy, () => this.elapsed());
      this.breakers.set(record, breaker);
    }
    return breaker;
  }

  private waitable(r: NodeRecord): boolean {
    if (r.noWaitUntil <= this.elapsed()) return true;
    return r.lsn !== null && r.stuckAt !== null && r.lsn > r.stuckAt;
  }

  private report(r: NodeRecord, reachable: boolean, news = false): void {
    if (r.reachable === reachable && !news) return;
    Object.assign(r, { reachable, reachableSince: this.elapsed() });
  }

  private record(name: string): NodeRecord {
    let r = this.records.get(name);
    if (!r) this.records.set(name, (r = newRecord()));
    return r;
  }
}
