import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidConsistencyTokenError } from './exceptions/invalid-consistency-token.exception';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import { formatLsn, parseLsn, type Lsn } from './lsn.util';
import { CONSISTENCY_TOKEN_PATTERN } from './replica-routing.constants';
import { asPosition, type PositionLike } from './routing-context.service';
import type { Position } from './position';

/** A token as a client sent it: the position and its timeline, and whether an API process signed it. */
export interface ParsedToken extends Position {
  signed: boolean;
}

const SIGNATURE_LENGTH = 22; // base64url characters: 132 bits of HMAC-SHA256
const MAX_TIMELINE = 0xffffffff;
const TOKEN = new RegExp(CONSISTENCY_TOKEN_PATTERN);
const MAX_TOKEN_LENGTH = 10 + 1 + 17 + 1 + SIGNATURE_LENGTH;

/**
 * The text form of consistency tokens: `<timeline>:<X/Y>` (`3:0/16B3748`),
 * the WAL position as Postgres prints it and the timeline it was taken on
 * (docs/design.md, "Failover and timelines"). With `tokenSecret` every token
 * this process hands out ends in `.<signature>` (HMAC-SHA256 of the rest, cut
 * to 22 base64url characters): any process with the same secret trusts it
 * without asking the primary, since only an API process can have minted it
 * from a real position. Tokens of the earlier form, `X/Y` or `X/Y.<signature>`
 * without a timeline, still parse; their timeline is unknown and they are
 * taken as positions on the current one.
 */
export class ConsistencyTokens {
  private readonly secret: string | undefined;

  constructor(options: ResolvedReplicaRoutingOptions) {
    this.secret = options.tokenSecret || undefined;
  }

  get signing(): boolean {
    return this.secret !== undefined;
  }

  format(token: Position | Lsn): string {
    const { tli, lsn } = asPosition(token)!;
    const text = tli === null ? formatLsn(lsn) : `${tli}:${formatLsn(lsn)}`;
    return this.secret === undefined ? text : `${text}.${this.sign(text)}`;
  }

  /** Parses any form; a signature that does not match is refused, whatever the position. */
  parse(text: string): ParsedToken {
    const match = text.length <= MAX_TOKEN_LENGTH ? TOKEN.exec(text) : null;
    if (!match) return { lsn: parseLsn(text), tli: null, signed: false }; // throws: malformed
    const [, timeline, position, signature] = match as unknown as [
      string,
      string | undefined,
      string,
      string | undefined,
    ];
    const tli = timeline === undefined ? null : Number(timeline);
    if (tli !== null && (tli < 1 || tli > MAX_TIMELINE))
      throw new InvalidConsistencyTokenError(text);
    const lsn = parseLsn(position);
    if (signature === undefined) return { lsn, tli, signed: false };
    const canonical = tli === null ? formatLsn(lsn) : `${tli}:${formatLsn(lsn)}`;
    if (this.secret === undefined || !this.matches(this.sign(canonical), signature)) {
      throw new InvalidConsistencyTokenError(
        text,
        this.secret === undefined
          ? 'this process verifies no signed tokens (no tokenSecret)'
          : 'its signature does not match (issued with another secret, or altered)',
        'bad_signature',
      );
    }
    return { lsn, tli, signed: true };
  }

  /** A token in any form a caller may hold: parsed, text (any form), or absent. */
  toLsn(token: PositionLike | string): Lsn | null {
    return this.toPosition(token)?.lsn ?? null;
  }

  /** The same, with its timeline (null when the form carries none). */
  toPosition(token: PositionLike | string): Position | null {
    if (token === '') return null;
    if (typeof token === 'string') {
      const { lsn, tli } = this.parse(token);
      return { lsn, tli };
    }
    return asPosition(token);
  }

  private sign(text: string): string {
    // v1 signed bare positions; v2 signs `<timeline>:<X/Y>`.
    const payload = text.includes(':')
      ? `replica-routing:v2:${text}`
      : `replica-routing:v1:${text}`;
    return createHmac('sha256', this.secret!)
      .update(payload)
      .digest('base64url')
      .slice(0, SIGNATURE_LENGTH);
  }

  private matches(expected: string, actual: string): boolean {
    return timingSafeEqual(Buffer.from(expected), Buffer.from(actual));
  }
}
