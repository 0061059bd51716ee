import { type ConsistencyTokens, type ParsedToken } from './consistency-tokens.service';
import { InvalidConsistencyTokenError } from './exceptions/invalid-consistency-token.exception';
import { formatLsn, type Lsn } from './lsn.util';
import { routingMetrics } from './metrics/routing.metrics';
import { attempt } from './node-attempt';
import { type NodeExecutor } from './node-executor.service';
import { type NodeState } from './node-state.service';
import { PRIMARY_NODE } from './replica-routing.constants';
import type { Position } from './position';
import { type TopologyDiscovery } from './topology/topology-discovery.service';
import { type Topology } from './topology/topology.service';

/** Decides whether a token a client sent may seed its requests' scope. */
export class ClientTokenGate {
  private primaryPositionCheck: Promise<Lsn | null> | undefined;

  constructor(
    private readonly tokens: ConsistencyTokens,
    private readonly state: NodeState,
    private readonly executor: NodeExecutor,
    private readonly topology: Topology,
    private readonly discovery: TopologyDiscovery,
  ) {}

  /**
   * Parses a token a client sent, in either form. A signed token (see
   * `tokenSecret`) was minted by an API process from a real position: trusted
   * as is. An unsigned one ahead of the primary could only force every read
   * onto the primary: refused. Without a secret the primary is asked for its
   * position (once for all concurrent callers; one that joined a question
   * sent before it came asks again if the answer is behind its token), only
   * when the token is newer than any position this process knows of; with
   * one, never: an unsigned
   * token is taken only up to that known position. A token of an earlier
   * timeline comes back on the current one, or is refused with
   * `WriteLostError` when its write did not survive the failover.
   */
  async accept(text: string): Promise<Position> {
    try {
      return await this.checkClientToken(text);
    } catch (error) {
      if (error instanceof InvalidConsistencyTokenError)
        routingMetrics.tokenRejected.inc({ reason: error.rejection });
      throw error;
    }
  }

  /**
   * {@link accept} when it needs no query and no request to Patroni: a signed
   * token, or an unsigned one this process already knows the primary has
   * reached, on the current timeline. `undefined` when it would need one (an
   * unsigned token newer than any known position without `tokenSecret`, or a
   * token of another timeline): call {@link accept} once the request is
   * authenticated. Throws as `accept` does for a malformed, forged or (with a
   * secret) unsigned future token.
   */
  acceptWithoutIo(text: string): Position | undefined {
    try {
      const parsed = this.tokens.parse(text);
      const resolved = this.topology.resolve(parsed);
      if (!resolved.ok) {
        // With a secret an unsigned token is taken only as far as known without a question.
        if (this.unsignedNeedsIo(parsed, resolved.reason)) throw this.aheadOfPrimary(text, null);
        return undefined;
      }
      return this.withoutQuestion(parsed, resolved.lsn, text);
    } catch (error) {
      if (error instanceof InvalidConsistencyTokenError)
        routingMetrics.tokenRejected.inc({ reason: error.rejection });
      throw error;
    }
  }

  private aheadOfPrimary(text: string, known: Lsn | null): InvalidConsistencyTokenError {
    return new InvalidConsistencyTokenError(
      text,
      known === null
        ? 'an unsigned token cannot be checked here: send back a signed Consistency-Token'
        : `it is ahead of the primary's WAL position ${formatLsn(known)}`,
      'ahead_of_primary',
    );
  }

  /**
   * A token at `lsn` on the current timeline, taken without asking the
   * primary: a signed one, or an unsigned one up to the known position.
   * Undefined when the primary must be asked; with a secret, which asks
   * nothing, an unsigned one past the known position is refused.
   */
  private withoutQuestion(parsed: ParsedToken, lsn: Lsn, text: string): Position | undefined {
    const position = { tli: this.topology.timeline ?? parsed.tli, lsn };
    if (parsed.signed) {
      // Only a token that names the current timeline says how far its primary is (one of the form
      // before timelines may be from before a failover).
      if (parsed.tli !== null && parsed.tli === this.topology.timeline)
        this.state.observePrimary(lsn);
      return position;
    }
    const known = this.state.primaryLsn;
    if (known !== null && lsn <= known) return position;
    if (this.tokens.signing) throw this.aheadOfPrimary(text, known);
    return undefined;
  }

  /** An unsigned token, with a secret, that names a timeline not known to hold it (newer, or unverifiable). */
  private unsignedNeedsIo(parsed: { signed: boolean }, reason: string): boolean {
    return !parsed.signed && this.tokens.signing && reason !== 'lost';
  }

  private async checkClientToken(text: string): Promise<Position> {
    const parsed = this.tokens.parse(text);
    const now = this.topology.resolve(parsed);
    // No discovery run, no question to Patroni, for a token no answer could make acceptable.
    if (!now.ok && this.unsignedNeedsIo(parsed, now.reason)) throw this.aheadOfPrimary(text, null);
    const token = await this.discovery.toCurrent(parsed, () => text);
    const taken = this.withoutQuestion(parsed, token, text);
    if (taken) return taken;
    // On the timeline the token was resolved against, whatever the questions below learn.
    const position = { tli: this.topology.timeline ?? parsed.tli, lsn: token };
    // A check already in flight was sent before this token came, perhaps before its write
    // committed: a token it does not cover is asked about once more.
    const joined = this.primaryPositionCheck !== undefined;
    let current = await this.askPrimaryPosition();
    if (joined && current !== null && token > current) current = await this.askPrimaryPosition();
    // When the primary cannot be asked the token cannot be disproved: accept it (it cannot hurt the
    // primary, which is down); reads then go to a replica that has reached it, or fail with a 503.
    if (current !== null && token > current) throw this.aheadOfPrimary(text, current);
    return position;
  }

  /** The primary's position, asked once for all concurrent callers; null when it cannot be asked. */
  private askPrimaryPosition(): Promise<Lsn | null> {
    // Stamped before it is asked: the answer covers every commit that finished before then.
    const askedAt = this.state.now();
    this.primaryPositionCheck ??= attempt(this.state, PRIMARY_NODE, () =>
      this.executor.primaryPosition(),
    )
      .then(
        ({ lsn, tli }) => {
          if (this.topology.observeTimeline(tli)) void this.discovery.refresh();
          if (tli === this.topology.timeline) this.state.observePrimary(lsn, askedAt);
          return this.state.primaryLsn;
        },
        () => null,
      )
      .finally(() => (this.primaryPositionCheck = undefined));
    return this.primaryPositionCheck;
  }
}
