import { Controller, Delete, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/current-user.decorator';
import { AcceptsRotationRetry } from '../auth/rotation-retry.decorator';
import { WritesFirst } from '../auth/writes-first.decorator';
import { markReplayed, parseIdempotencyKey, REPLAYED_HEADER } from '../http/idempotency-key.header';
import type { AuthenticatedUser } from '../auth/authenticated-user.interface';
import { ErrorBody } from '../http/openapi.schemas';
import { TokenRoute } from '../http/token-headers.decorator';
import { KeysService } from './keys.service';

export class KeyRotatedBody {
  @ApiProperty({ description: 'The new key, shown in this response only (43 characters)' })
  api_key!: string;
}

@ApiTags('keys')
@ApiBearerAuth()
@Controller('users/me/api-keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  /**
   * A new API key for the caller; the key this request used is revoked. A
   * retry with the same Idempotency-Key (the response lost) may still use
   * that key: it gets another new key (docs/api.md, "Keys of lost answers").
   */
  @ApiOperation({ summary: 'Rotate: a new API key, the one used here revoked' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      '16-255 visible ASCII characters, no spaces, random (a UUID v4): a retry with the same key, with the key this rotation revoked, gets a new key',
  })
  @TokenRoute({
    201: {
      description: 'The new key (`Idempotent-Replayed: true` on a retry)',
      type: KeyRotatedBody,
      headers: REPLAYED_HEADER,
    },
    401: { description: 'Missing, unknown or revoked API key', type: ErrorBody },
    422: { description: 'Invalid Idempotency-Key', type: ErrorBody },
  })
  @AcceptsRotationRetry()
  @WritesFirst()
  @Post()
  @HttpCode(201)
  async rotate(
    @CurrentUser() user: AuthenticatedUser,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<KeyRotatedBody> {
    const key = parseIdempotencyKey(req.headers['idempotency-key'], { secret: true });
    const { apiKey, replayed } = await this.keys.rotate(user, key);
    markReplayed(res, replayed);
    return { api_key: apiKey };
  }

  /** Revokes the key this request used: it is refused at once on the primary, everywhere within AUTH_MAX_STALENESS_MS. */
  @ApiOperation({ summary: 'Revoke the API key used here' })
  @TokenRoute({
    204: { description: 'Revoked' },
    401: { description: 'Missing, unknown or revoked API key', type: ErrorBody },
  })
  @WritesFirst()
  @Delete('current')
  @HttpCode(204)
  async revokeCurrent(@CurrentUser() user: AuthenticatedUser): Promise<void> {
    await this.keys.revokeCurrent(user);
  }
}
