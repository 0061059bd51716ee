import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorBody, UserCreatedBody } from '../http/openapi.schemas';
import { markReplayed, parseIdempotencyKey, REPLAYED_HEADER } from '../http/idempotency-key.header';
import { TokenRoute } from '../http/token-headers.decorator';
import { Public } from '../auth/public.decorator';
import { SignupLimited } from '../rate-limit/signup-limited.decorator';
import { CreateUserDto } from './create-user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  /**
   * Registers a rider. The API key is in this response only; it is stored as
   * a hash. A retry with the same Idempotency-Key (the response lost) gets
   * the rider again with a new key, not a 409.
   */
  @ApiOperation({ summary: 'Register a rider; the response holds its API key' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      '16-255 visible ASCII characters, no spaces, random (a UUID v4): a retry with the same key gets the rider with a new key',
  })
  @TokenRoute({
    201: {
      description: 'Registered (`Idempotent-Replayed: true` on a retry)',
      type: UserCreatedBody,
      headers: REPLAYED_HEADER,
    },
    409: { description: 'The email is taken', type: ErrorBody },
    422: {
      description:
        'Missing or invalid email; an invalid Idempotency-Key, or one used for another request',
      type: ErrorBody,
    },
  })
  @Public()
  @SignupLimited()
  @Post()
  @HttpCode(201)
  async create(
    @Body() body: CreateUserDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ id: number; email: string; api_key: string }> {
    const key = parseIdempotencyKey(req.headers['idempotency-key'], { secret: true });
    const { user, apiKey, replayed } = await this.users.create(body.email, key);
    markReplayed(res, replayed);
    return { id: user.id, email: user.email, api_key: apiKey };
  }
}
