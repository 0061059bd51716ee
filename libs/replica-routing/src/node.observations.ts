import type { ConsistencyTokens } from './consistency-tokens.service';
import { PrimaryUnavailableError } from './exceptions/primary-unavailable.exception';
import { BUSY_RETRY_MS } from './node-attempt';
import { WriteLostError } from './exceptions/write-lost.exception';
import { routingLogger } from './logger';
import type { NodeState } from './node-state.service';
import { onTimeline, type Replay } from './postgres/wal.queries';
import type { Position } from './position';
import type { TopologyDiscovery } from './topology/topology-discovery.service';
import type { Topology } from './topology/topology.service';
import { WarnThrottle } from './warn.throttle';

/**
 * What reads and writes saw of the nodes, recorded in {@link NodeState} in
 * one place: positions read off the primary, replay positions a replica
 * showed, and the failovers either one reveals.
 */
export class NodeObservations {
  private readonly logger = routingLogger('ReplicaRouter');
  /** Per replica, once a minute. */
  private readonly noReceiver = new WarnThrottle(this.logger);

  constructor(
    private readonly state: NodeState,
    private readonly tokens: ConsistencyTokens,
    private readonly topology: Topology,
    private readonly discovery: TopologyDiscovery,
  ) {}

  /**
   * Records a position read off the primary: its timeline (a newer one means
   * a failover: discover), and on the current timeline its position. A
   * position on a timeline the cluster has left, past that timeline's end, was
   * taken on a former primary: whatever it covers is not in the history.
   * `askedAt` is when the question that read it was sent (or any time before):
   * the position covers every commit that finished before then.
   */
  primary(position: Position, askedAt?: number): Position {
    if (position.tli !== null && this.topology.observeTimeline(position.tli))
      void this.discovery.refresh();
    const resolved = this.topology.resolve(position);
    if (!resolved.ok && resolved.reason === 'lost')
      throw new WriteLostError(this.tokens.format(position), 'lost', resolved.detail);
    if (position.tli === this.topology.timeline || position.tli === null)
      this.state.observePrimary(position.lsn, askedAt);
    return position;
  }

  /**
   * The error for a read answered by the node bound as primary on a timeline
   * the cluster has left: a former primary still up, bound by a stale answer
   * (a Patroni member's view from before the failover). What it shows may lack
   * the newer timeline's commits, or hold some that are in no history.
   * Discovery runs again; the read waits for it as for an election.
   */
  left(on: Position): PrimaryUnavailableError {
    void this.discovery.refresh();
    const why = `the primary bound answered on timeline ${on.tli}, older than ${this.topology.timeline}: a former primary`;
    return new PrimaryUnavailableError(BUSY_RETRY_MS, undefined, why);
  }

  /**
   * Records what a replica said of its replay. Only a position on the current
   * timeline says how far it is; a standby that streams a newer timeline
   * means a failover this process has not seen (discover); one that streams
   * nothing while it replays (its receiver is down, or the role cannot see
   * `pg_stat_wal_receiver`) cannot show which timeline it is on, and so serves
   * no read that needs one.
   */
  replay(node: string, replay: Replay, tli: number | null): void {
    if (replay.tli !== null && tli !== null && replay.tli > tli) void this.discovery.refresh();
    if (replay.lsn === null || onTimeline(replay, tli)) this.state.observeReplay(node, replay.lsn);
    if (replay.lsn !== null && replay.tli === null && tli !== null && tli > 1)
      this.noReceiver.warn(
        node,
        this.state.elapsed(),
        () =>
          `${node} replays WAL but shows no streaming WAL receiver, so it cannot prove its timeline ` +
          'and serves no read that needs one. Is it streaming? Does the role have pg_read_all_stats?',
      );
  }
}
