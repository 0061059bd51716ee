import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONSISTENCY_TOKEN_HEADER } from '../replica-routing.constants';
import { ReplicaRouter } from '../replica-router.service';
import { RoutingContext } from '../routing-context.service';

/**
 * Opens a routing scope per request, seeded with the `Consistency-Token`
 * request header. A malformed token, or one ahead of the primary, is rejected
 * with {@link InvalidConsistencyTokenError} (map it to 400).
 */
@Injectable()
export class ConsistencyMiddleware implements NestMiddleware {
  private readonly header = CONSISTENCY_TOKEN_HEADER.toLowerCase();

  constructor(
    private readonly router: ReplicaRouter,
    private readonly context: RoutingContext,
  ) {}

  async use(req: IncomingMessage, _res: ServerResponse, next: () => void): Promise<void> {
    const raw = req.headers[this.header];
    const text = Array.isArray(raw) ? raw.join(',') : raw;
    const token = text ? await this.router.acceptClientToken(text.trim()) : null;
    this.context.run({ token }, () => next());
  }
}
