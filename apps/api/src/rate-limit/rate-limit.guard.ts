import {
  HttpException,
  HttpStatus,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthenticatedRequest } from '../auth/authenticated-user.interface';
import { ApiConfig } from '../config/api.config';
import { SIGNUP_LIMITED } from './signup-limited.decorator';
import { TokenBuckets } from './token-bucket';

/**
 * Runs after authentication: requests per rider, all of its API keys
 * together, so that a rotation does not refill it (RATE_LIMIT_KEY_RPS, burst
 * of one second's worth), and sign-ups per client address
 * (RATE_LIMIT_SIGNUP_PER_MIN, on `@SignupLimited()` routes). Over the limit: 429 with Retry-After. Limits
 * are per API process; 0 turns either off.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly perRider: TokenBuckets | undefined;
  private readonly signups: TokenBuckets | undefined;

  constructor(
    config: ApiConfig,
    private readonly reflector: Reflector,
  ) {
    const rps = config.RATE_LIMIT_KEY_RPS;
    const perMin = config.RATE_LIMIT_SIGNUP_PER_MIN;
    this.perRider = rps > 0 ? new TokenBuckets(rps, Math.max(1, rps)) : undefined;
    this.signups = perMin > 0 ? new TokenBuckets(perMin / 60, perMin) : undefined;
  }

  canActivate(ctx: ExecutionContext): boolean {
    if (ctx.getType() !== 'http') return true;
    const request = ctx.switchToHttp().getRequest<IncomingMessage & AuthenticatedRequest>();
    const response = ctx.switchToHttp().getResponse<ServerResponse>();
    // By the handler, not the URL: Express also routes `/users/` and `/USERS` to it.
    const signup = this.reflector.get<boolean>(SIGNUP_LIMITED, ctx.getHandler()) === true;
    const [buckets, key, what] = signup
      ? [this.signups, request.socket.remoteAddress ?? 'unknown', 'sign-ups from this address']
      : [this.perRider, request.user && String(request.user.id), 'requests from this rider'];
    if (!buckets || key === undefined) return true;
    const waitMs = buckets.take(key);
    if (waitMs === 0) return true;
    response.setHeader('Retry-After', String(Math.max(1, Math.ceil(waitMs / 1000))));
    throw new HttpException(`too many ${what}; retry later`, HttpStatus.TOO_MANY_REQUESTS);
  }
}
