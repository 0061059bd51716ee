import { Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/current-user.decorator';
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

  /** A new API key for the caller; the key this request used is revoked. */
  @ApiOperation({ summary: 'Rotate: a new API key, the one used here revoked' })
  @TokenRoute({
    201: { description: 'The new key', type: KeyRotatedBody },
    401: { description: 'Missing, unknown or revoked API key', type: ErrorBody },
  })
  @Post()
  @HttpCode(201)
  async rotate(@CurrentUser() user: AuthenticatedUser): Promise<KeyRotatedBody> {
    return { api_key: await this.keys.rotate(user) };
  }

  /** Revokes the key this request used: it is refused at once on the primary, everywhere within AUTH_MAX_STALENESS_MS. */
  @ApiOperation({ summary: 'Revoke the API key used here' })
  @TokenRoute({
    204: { description: 'Revoked' },
    401: { description: 'Missing, unknown or revoked API key', type: ErrorBody },
  })
  @Delete('current')
  @HttpCode(204)
  async revokeCurrent(@CurrentUser() user: AuthenticatedUser): Promise<void> {
    await this.keys.revokeCurrent(user);
  }
}
