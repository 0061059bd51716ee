import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConsistencyTokens } from '../consistency-tokens.service';
import {
  bindRequestEvents,
  runInRequestScope,
  writeScopeHeadersOnHead,
} from '../http/request-scope';
import { ReplicaRouter } from '../replica-router.service';
import { RoutingContext } from '../routing-context.service';

/**
 * Opens a routing scope per request, seeded with the `Consistency-Token`
 * request header, without a query: a malformed or forged token is rejected
 * with {@link InvalidConsistencyTokenError} (map it to 400). A token that
 * needs a query to be checked (unsigned, newer than any position this process
 * knows, without `tokenSecret`) waits for {@link ConsistencyInterceptor},
 * which runs after the app's guards: an unauthenticated request never makes a
 * query for its token. Sets the `Served-By` and `Consistency-Token` response
 * headers from the request's scope just before the response's head leaves,
 * whatever sends it (a returned value, `@Res()`, an exception filter).
 */
@Injectable()
export class ConsistencyMiddleware implements NestMiddleware {
  constructor(
    private readonly router: ReplicaRouter,
    private readonly context: RoutingContext,
    private readonly tokens: ConsistencyTokens,
  ) {}

  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    runInRequestScope(this.router, this.context, req, (scope) => {
      bindRequestEvents(req);
      writeScopeHeadersOnHead(this.tokens, scope, res);
      next();
    });
  }
}
