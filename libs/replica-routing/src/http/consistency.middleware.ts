import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONSISTENCY_TOKEN_HEADER } from '../replica-routing.constants';
import { ReplicaRouter } from '../replica-router.service';
import { RoutingContext } from '../routing-context.service';

/**
 * Opens a routing scope per request, seeded with the `Consistency-Token`
 * request header, without a query: a malformed or forged token is rejected
 * with {@link InvalidConsistencyTokenError} (map it to 400). A token that
 * needs a query to be checked (unsigned, newer than any position this process
 * knows, without `tokenSecret`) waits for {@link ConsistencyInterceptor},
 * which runs after the app's guards: an unauthenticated request never makes a
 * query for its token.
 */
@Injectable()
export class ConsistencyMiddleware implements NestMiddleware {
  private readonly header = CONSISTENCY_TOKEN_HEADER.toLowerCase();

  constructor(
    private readonly router: ReplicaRouter,
    private readonly context: RoutingContext,
  ) {}

  use(req: IncomingMessage, _res: ServerResponse, next: () => void): void {
    const raw = req.headers[this.header];
    const text = (Array.isArray(raw) ? raw.join(',') : raw)?.trim();
    const token = text ? this.router.acceptClientTokenWithoutIo(text) : null;
    this.context.run({ token, pendingToken: token === undefined ? text : undefined }, () => next());
  }
}
