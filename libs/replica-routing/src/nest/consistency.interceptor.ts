import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ServerResponse } from 'node:http';
import { Observable, from, switchMap, tap } from 'rxjs';
import { USE_PRIMARY_KEY } from './use-primary.decorator';
import { ConsistencyTokens } from '../consistency-tokens.service';
import { writeScopeHeaders } from '../http/request-scope';
import { ReplicaRouter } from '../replica-router.service';
import { RoutingContext } from '../routing-context.service';

/**
 * Checks a client token the middleware left pending (interceptors run after
 * guards: only for a request the app let through), applies `@UsePrimary()`,
 * and writes the `Served-By` and `Consistency-Token` response headers from the
 * request's routing scope (success and error alike). Needs
 * {@link ConsistencyMiddleware} in front of the same routes.
 */
@Injectable()
export class ConsistencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly context: RoutingContext,
    private readonly tokens: ConsistencyTokens,
    private readonly router: ReplicaRouter,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const scope = this.context.current();
    if (ctx.getType() !== 'http' || !scope) return next.handle();
    const response = ctx.switchToHttp().getResponse<ServerResponse>();
    const primary = this.reflector.getAllAndOverride<boolean>(USE_PRIMARY_KEY, [
      ctx.getHandler(),
      ctx.getClass(),
    ]);
    const writeHeaders = () => writeScopeHeaders(this.tokens, scope, response);
    const handle = () =>
      scope.pendingToken === undefined
        ? next.handle()
        : from(this.router.settleClientToken()).pipe(switchMap(() => next.handle()));
    return new Observable((subscriber) => {
      const run = () =>
        handle()
          .pipe(tap({ next: writeHeaders, error: writeHeaders }))
          .subscribe(subscriber);
      return primary ? this.context.run({ primary: true }, run) : run();
    });
  }
}
