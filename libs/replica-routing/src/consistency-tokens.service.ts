import { createHmac, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InvalidConsistencyTokenError } from './exceptions/invalid-consistency-token.exception';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import { formatLsn, parseLsn, type Lsn } from './lsn.util';
import { RESOLVED_OPTIONS } from './replica-routing.constants';

/** A token as a client sent it: the position, and whether an API process signed it. */
export interface ParsedToken {
  lsn: Lsn;
  signed: boolean;
}

const SIGNATURE_LENGTH = 22; // base64url characters: 132 bits of HMAC-SHA256
const SIGNED = /^([0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8})\.([A-Za-z0-9_-]{22})$/;

/**
 * The text form of consistency tokens. With `tokenSecret` every token this
 * process hands out is `X/Y.<signature>` (HMAC-SHA256 of the position, cut to
 * 22 base64url characters): any process with the same secret trusts it
 * without asking the primary, since only an API process can have minted it
 * from a real position. Without a secret tokens are the bare `X/Y` WAL
 * position, as Postgres prints it.
 */
@Injectable()
export class ConsistencyTokens {
  private readonly secret: string | undefined;

  constructor(@Inject(RESOLVED_OPTIONS) options: ResolvedReplicaRoutingOptions) {
    this.secret = options.tokenSecret || undefined;
  }

  get signing(): boolean {
    return this.secret !== undefined;
  }

  format(lsn: Lsn): string {
    const text = formatLsn(lsn);
    return this.secret === undefined ? text : `${text}.${this.sign(text)}`;
  }

  /** Parses either form; a signature that does not match is refused, whatever the position. */
  parse(text: string): ParsedToken {
    const signed = text.length <= 17 + 1 + SIGNATURE_LENGTH ? SIGNED.exec(text) : null;
    if (!signed) return { lsn: parseLsn(text), signed: false };
    const [, position, signature] = signed as unknown as [string, string, string];
    const lsn = parseLsn(position);
    if (this.secret === undefined || !this.matches(this.sign(formatLsn(lsn)), signature)) {
      throw new InvalidConsistencyTokenError(
        text,
        this.secret === undefined
          ? 'this process verifies no signed tokens (no tokenSecret)'
          : 'its signature does not match (issued with another secret, or altered)',
        'bad_signature',
      );
    }
    return { lsn, signed: true };
  }

  /** A token in any form a caller may hold: parsed, text (either form), or absent. */
  toLsn(token: Lsn | string | null | undefined): Lsn | null {
    if (token === null || token === undefined || token === '') return null;
    return typeof token === 'bigint' ? token : this.parse(token).lsn;
  }

  private sign(position: string): string {
    return createHmac('sha256', this.secret!)
      .update(`replica-routing:v1:${position}`)
      .digest('base64url')
      .slice(0, SIGNATURE_LENGTH);
  }

  private matches(expected: string, actual: string): boolean {
    return timingSafeEqual(Buffer.from(expected), Buffer.from(actual));
  }
}
