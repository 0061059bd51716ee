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
import type { AuthenticatedRequest } from './authenticated-user.interface';
import { IS_PUBLIC } from './public.decorator';

/** `Authorization: Bearer <api_key>` on every route but `@Public()` ones. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly users: UsersService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [ctx.getHandler(), ctx.getClass()]))
      return true;
    const request = ctx.switchToHttp().getRequest<IncomingMessage & AuthenticatedRequest>();
    const key = parseBearer(request.headers.authorization);
    if (!key)
      throw new UnauthorizedException(
        'missing or malformed Authorization header: send "Bearer <api_key>"',
      );
    const user = await this.users.authenticate(key);
    if (!user) throw new UnauthorizedException('invalid API key');
    request.user = user;
    return true;
  }
}
