import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  bindRequestEvents,
  runInRequestScope,
  writeScopeHeadersOnHead,
} from '../http/request-scope';
import type { ReplicaRouting } from '../replica-routing';

/** Express (or Connect, or `node:http`) middleware. */
export type ConsistencyMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * One routing scope per request, for apps without Nest:
 * `app.use(authenticate, consistency(routing))`. It reads the request's
 * `Consistency-Token`, checks it (a query to the primary only when it must:
 * mount it after authentication, so that an anonymous request never causes
 * one), and answers with `Served-By` and `Consistency-Token` headers. A bad
 * token goes to `next(error)` as `InvalidConsistencyTokenError` (answer 400).
 */
export function consistency(
  routing: Pick<ReplicaRouting<unknown>, 'router' | 'context' | 'tokens'>,
): ConsistencyMiddleware {
  return (req, res, next) => {
    let entered = false;
    try {
      runInRequestScope(routing.router, routing.context, req, (scope) => {
        entered = true;
        bindRequestEvents(req);
        writeScopeHeadersOnHead(routing.tokens, scope, res);
        if (scope.pendingToken === undefined) return next();
        routing.router.settleClientToken().then(() => next(), next);
      });
    } catch (error) {
      // A bad token; what the rest of the chain threw is not this middleware's to report.
      if (entered) throw error;
      next(error);
    }
  };
}
