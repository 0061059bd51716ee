import { Injectable } from '@nestjs/common';
import { ConsistencyTokens } from './consistency-tokens.service';
import { InvalidConsistencyTokenError } from './exceptions/invalid-consistency-token.exception';
import { formatLsn, type Lsn } from './lsn.util';
import { routingMetrics } from './metrics/routing.metrics';
import { attempt } from './node-attempt';
import { NodeExecutor } from './node-executor.service';
import { NodeState } from './node-state.service';
import { PRIMARY_NODE } from './replica-routing.constants';

/** Decides whether a token a client sent may seed its requests' scope. */
@Injectable()
export class ClientTokenGate {
  private primaryPositionCheck: Promise<Lsn | null> | undefined;

  constructor(
    private readonly tokens: ConsistencyTokens,
    private readonly state: NodeState,
    private readonly executor: NodeExecutor,
  ) {}

  /**
   * Parses a token a client sent, in either form. A signed token (see
   * `tokenSecret`) was minted by an API process from a real position: trusted
   * as is. An unsigned one ahead of the primary could only force every read
   * onto the primary: refused. Without a secret the primary is asked for its
   * position (once for all concurrent callers), only when the token is newer
   * than any position this process knows of; with one, never: an unsigned
   * token is taken only up to that known position.
   */
  async accept(text: string): Promise<Lsn> {
    try {
      return await this.checkClientToken(text);
    } catch (error) {
      if (error instanceof InvalidConsistencyTokenError)
        routingMetrics.tokenRejected.inc({ reason: error.rejection });
      throw error;
    }
  }

  private async checkClientToken(text: string): Promise<Lsn> {
    const { lsn: token, signed } = this.tokens.parse(text);
    if (signed) {
      this.state.observePrimary(token);
      return token;
    }
    const known = this.state.primaryLsn;
    if (known !== null && token <= known) return token;
    const current = this.tokens.signing ? known : await this.askPrimaryPosition();
    // When the primary cannot be asked the token cannot be disproved: accept it (it cannot hurt the
    // primary, which is down); reads then go to a replica that has reached it, or fail with a 503.
    if (this.tokens.signing || (current !== null && token > current)) {
      throw new InvalidConsistencyTokenError(
        text,
        current === null
          ? 'an unsigned token cannot be checked here: send back a signed Consistency-Token'
          : `it is ahead of the primary's WAL position ${formatLsn(current)}`,
        'ahead_of_primary',
      );
    }
    return token;
  }

  /** The primary's position, asked once for all concurrent callers; null when it cannot be asked. */
  private askPrimaryPosition(): Promise<Lsn | null> {
    this.primaryPositionCheck ??= attempt(this.state, PRIMARY_NODE, () =>
      this.executor.primaryPosition(),
    )
      .then(
        (lsn) => {
          this.state.observePrimary(lsn, this.state.now());
          return this.state.primaryLsn;
        },
        () => null,
      )
      .finally(() => (this.primaryPositionCheck = undefined));
    return this.primaryPositionCheck;
  }
}
