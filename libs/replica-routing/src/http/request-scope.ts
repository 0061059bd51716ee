import { AsyncResource } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConsistencyTokens } from '../consistency-tokens.service';
import { CONSISTENCY_TOKEN_HEADER, SERVED_BY_HEADER } from '../replica-routing.constants';
import type { ReplicaRouter } from '../replica-router.service';
import type { RoutingContext, RoutingScope } from '../routing-context.service';

const HEADER = CONSISTENCY_TOKEN_HEADER.toLowerCase();

/**
 * Runs `next` in a routing scope for one HTTP request (`node:http`'s, or
 * anything with its `headers`, such as Fastify's `request`), seeded with its
 * `Consistency-Token` header, without a query: a malformed or forged token
 * throws `InvalidConsistencyTokenError` (map it to 400). A token that needs a
 * query to be checked (unsigned, newer than any position this process knows,
 * without `tokenSecret`) stays pending: `router.settleClientToken()` checks it
 * once the caller is authenticated; until then the scope reads on the primary.
 * A request met again (the glue mounted twice) runs in the scope it got first.
 */
export function runInRequestScope<T>(
  router: ReplicaRouter<unknown>,
  context: RoutingContext,
  req: Pick<IncomingMessage, 'headers'>,
  next: (scope: RoutingScope) => T,
): T {
  // Glue mounted twice (an app's and a router's, a Fastify parent's and child's): one scope, or
  // the handler would raise the inner one while the outer one's header, the token sent, won.
  const scopes = requestScopes(context);
  const opened = scopes.get(req);
  if (opened) return context.enter(opened, () => next(opened));
  const raw = req.headers[HEADER];
  const text = (Array.isArray(raw) ? raw.join(',') : raw)?.trim();
  const token = text ? router.acceptClientTokenWithoutIo(text) : null;
  const pendingToken = token === undefined ? text : undefined;
  // Its own, whatever context the request was handed on in (a queue's, another request's).
  return context.run({ token, pendingToken, root: true }, (scope) => {
    scopes.set(req, scope);
    return next(scope);
  });
}

/** Per routing context (an app may route two databases), the scope of each request it saw. */
const openedScopes = new WeakMap<RoutingContext, WeakMap<object, RoutingScope>>();

function requestScopes(context: RoutingContext): WeakMap<object, RoutingScope> {
  let scopes = openedScopes.get(context);
  if (!scopes) openedScopes.set(context, (scopes = new WeakMap()));
  return scopes;
}

/** Requests whose events {@link bindRequestEvents} bound already. */
const bound = new WeakSet<IncomingMessage>();

/**
 * Makes the request's events (`data`, `end`: its body) run in the context
 * current now, the request's scope: a body parser mounted after the
 * middleware calls `next()` from its `end` event, which a body that came in a
 * later packet (`Expect: 100-continue`, headers and body written apart) would
 * otherwise emit in the connection's context, outside any scope.
 */
export function bindRequestEvents(req: IncomingMessage): void {
  // Mounted twice (an app's and a router's), the first scope, the request's own, stays.
  if (bound.has(req)) return;
  bound.add(req);
  const resource = new AsyncResource('replica-routing.request');
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the request as this
  const emit = req.emit as (...args: unknown[]) => boolean;
  req.emit = function (this: IncomingMessage, ...args: unknown[]) {
    return resource.runInAsyncScope(emit, this, ...args);
  } as IncomingMessage['emit'];
}

/** The `Served-By` and `Consistency-Token` response headers a request's scope calls for (none, one or both). */
export function scopeHeaders(tokens: ConsistencyTokens, scope: RoutingScope): [string, string][] {
  const headers: [string, string][] = [];
  const servedBy = scope.servedBy.at(-1);
  if (servedBy) headers.push([SERVED_BY_HEADER, servedBy]);
  if (scope.position !== null)
    headers.push([CONSISTENCY_TOKEN_HEADER, tokens.format(scope.position)]);
  return headers;
}

/** Sets `Served-By` and `Consistency-Token` from the request's scope, unless headers are sent. */
function writeScopeHeaders(
  tokens: ConsistencyTokens,
  scope: RoutingScope,
  response: ServerResponse,
): void {
  if (response.headersSent) return;
  for (const [name, value] of scopeHeaders(tokens, scope)) response.setHeader(name, value);
}

/**
 * Sets the scope's headers just before the response's head leaves, whatever
 * sends it: a handler's return value, a handler that writes the response
 * itself (Nest's `@Res()`, a stream, server-sent events), an error filter.
 */
export function writeScopeHeadersOnHead(
  tokens: ConsistencyTokens,
  scope: RoutingScope,
  response: ServerResponse,
): void {
  const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => ServerResponse;
  response.writeHead = (...args: unknown[]) => {
    writeScopeHeaders(tokens, scope, response);
    return writeHead(...args);
  };
}
