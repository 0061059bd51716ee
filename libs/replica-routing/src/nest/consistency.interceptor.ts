import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable, from, switchMap } from 'rxjs';
import { USE_PRIMARY_KEY } from './use-primary.decorator';
import { ReplicaRouter } from '../replica-router.service';
import { RoutingContext } from '../routing-context.service';

/**
 * Checks a client token the middleware left pending (interceptors run after
 * guards: only for a request the app let through) and applies
 * `@UsePrimary()`. Needs {@link ConsistencyMiddleware} in front of the same
 * routes (it opens the scope and writes the response headers).
 */
@Injectable()
export class ConsistencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly context: RoutingContext,
    private readonly router: ReplicaRouter,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const scope = this.context.current();
    if (ctx.getType() !== 'http' || !scope) return next.handle();
    const primary = this.reflector.getAllAndOverride<boolean>(USE_PRIMARY_KEY, [
      ctx.getHandler(),
      ctx.getClass(),
    ]);
    const handle = () =>
      scope.pendingToken === undefined
        ? next.handle()
        : from(this.router.settleClientToken()).pipe(switchMap(() => next.handle()));
    return new Observable((subscriber) => {
      const run = () => handle().subscribe(subscriber);
      return primary ? this.context.run({ primary: true }, run) : run();
    });
  }
}
