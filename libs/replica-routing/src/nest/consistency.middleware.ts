import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runInRequestScope } from '../http/request-scope';
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
  constructor(
    private readonly router: ReplicaRouter,
    private readonly context: RoutingContext,
  ) {}

  use(req: IncomingMessage, _res: ServerResponse, next: () => void): void {
    runInRequestScope(this.router, this.context, req, () => next());
  }
}
