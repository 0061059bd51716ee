import type { FastifyInstance, FastifyPluginCallback, FastifyRequest } from 'fastify';
import { AsyncResource } from 'node:async_hooks';
import { runInRequestScope, scopeHeaders } from '../http/request-scope';
import type { ReplicaRouting } from '../replica-routing';
import type { RoutingScope } from '../routing-context.service';

/** A Fastify plugin: `app.register(consistencyPlugin(routing))`. */
export type ConsistencyPlugin = FastifyPluginCallback;

/** A request's scope, and the async context it runs in (a handle to re-enter it). */
interface Entered {
  scope: RoutingScope;
  context: AsyncResource;
}

/**
 * One routing scope per request, for Fastify apps:
 * `app.register(consistencyPlugin(routing))`, after the hooks that
 * authenticate. The same as the Express `consistency(routing)`: an
 * `onRequest` hook reads the request's `Consistency-Token` and opens the scope
 * (a malformed or forged token is an `InvalidConsistencyTokenError` for the
 * app's error handler: answer 400); a `preHandler` hook checks a token that
 * needs a query (only once the hooks before it let the request through); an
 * `onSend` hook sets `Served-By` and `Consistency-Token`; the handlers of the
 * routes registered after it run in the scope. The plugin is not
 * encapsulated: it applies to the instance it is registered on and its
 * children (register it in a child instance to cover only that one's routes).
 */
export function consistencyPlugin(
  routing: Pick<ReplicaRouting<unknown>, 'router' | 'context' | 'tokens'>,
): ConsistencyPlugin {
  const requests = new WeakMap<FastifyRequest, Entered>();
  const plugin: ConsistencyPlugin = (app, _options, registered) => {
    app.addHook('onRequest', (request, _reply, done) => {
      let entered: Entered;
      try {
        entered = runInRequestScope(routing.router, routing.context, request.raw, (scope) => ({
          scope,
          // Captures the scope's async context, to be re-entered below.
          context: new AsyncResource('replica-routing'),
        }));
      } catch (error) {
        return done(error as Error);
      }
      requests.set(request, entered);
      entered.context.runInAsyncScope(done);
    });
    // Hooks run one after another, each from where the one before called `done`: a hook that
    // calls it from a callback of its own (a pool, a stream) carries on in another async context.
    // As @fastify/request-context does, re-enter the scope after the body is read, and again just
    // before the handler, whatever the hooks between did.
    app.addHook('preValidation', (request, _reply, done) => {
      const entered = requests.get(request);
      if (!entered) return done();
      entered.context.runInAsyncScope(done);
    });
    app.addHook('preHandler', (request, _reply, done) => {
      const entered = requests.get(request);
      if (!entered) return done();
      entered.context.runInAsyncScope(() => {
        if (entered.scope.pendingToken === undefined) return done();
        routing.router.settleClientToken().then(() => done(), done);
      });
    });
    // And the handler itself runs in it, whatever a hook registered after this one did (a
    // `preHandler` that calls `done` from a callback of its own).
    app.addHook('onRoute', (route) => {
      const handler = route.handler;
      route.handler = function (this: FastifyInstance, request, reply) {
        const entered = requests.get(request);
        return entered
          ? entered.context.runInAsyncScope(handler, this, request, reply)
          : handler.call(this, request, reply);
      };
    });
    app.addHook('onSend', (request, reply, payload, done) => {
      const entered = requests.get(request);
      if (entered)
        for (const [name, value] of scopeHeaders(routing.tokens, entered.scope))
          void reply.header(name, value);
      done(null, payload);
    });
    registered();
  };
  // Fastify's documented alternative to fastify-plugin: the hooks apply to the instance that
  // registers the plugin, not to a scope of the plugin's own.
  Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'replica-routing-consistency',
  });
  return plugin;
}
