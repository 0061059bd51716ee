import {
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { UsersService } from '../users/users.service';
import { parseBearer } from './api-key.util';
import type { AuthenticatedRequest, AuthenticatedUser } from './authenticated-user.interface';
import { secretIdempotencyKey } from '../http/idempotency-key.header';
import { ROTATION_RETRY } from './rotation-retry.decorator';
import { IS_PUBLIC } from './public.decorator';
import { WRITES_FIRST } from './writes-first.decorator';

/** `Authorization: Bearer <api_key>` on every route but `@Public()` ones. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly users: UsersService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (this.flagged(ctx, IS_PUBLIC)) return true;
    const request = ctx.switchToHttp().getRequest<IncomingMessage & AuthenticatedRequest>();
    const key = parseBearer(request.headers.authorization);
    if (!key)
      throw new UnauthorizedException(
        'missing or malformed Authorization header: send "Bearer <api_key>"',
      );
    const writesFirst = this.flagged(ctx, WRITES_FIRST);
    const user =
      (await this.users.authenticate(key, { writesFirst })) ??
      (await this.retried(ctx, request, key, writesFirst));
    if (!user) throw new UnauthorizedException('invalid API key');
    request.user = user;
    return true;
  }

  /** On a route that accepts it, the retry of the rotation that revoked `key`; else null. */
  private async retried(
    ctx: ExecutionContext,
    request: IncomingMessage,
    key: string,
    writesFirst: boolean,
  ): Promise<AuthenticatedUser | null> {
    if (!this.flagged(ctx, ROTATION_RETRY)) return null;
    // Authentication comes before input: an invalid one is no retry (401), not a 422.
    const idempotencyKey = secretIdempotencyKey(request.headers['idempotency-key']);
    return idempotencyKey === undefined
      ? null
      : this.users.authenticateRotationRetry(key, idempotencyKey, { writesFirst });
  }

  private flagged(ctx: ExecutionContext, key: string): boolean {
    return (
      this.reflector.getAllAndOverride<boolean>(key, [ctx.getHandler(), ctx.getClass()]) === true
    );
  }
}
