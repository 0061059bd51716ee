import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorBody, UserCreatedBody } from '../http/openapi.schemas';
import { TokenRoute } from '../http/token-headers.decorator';
import { Public } from '../auth/public.decorator';
import { SignupLimited } from '../rate-limit/signup-limited.decorator';
import { CreateUserDto } from './create-user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  /** Registers a rider. The API key is in this response only; it is stored as a hash. */
  @ApiOperation({ summary: 'Register a rider; the response holds its API key' })
  @TokenRoute({
    201: { description: 'Registered', type: UserCreatedBody },
    409: { description: 'The email is taken', type: ErrorBody },
    422: { description: 'Missing or invalid email', type: ErrorBody },
  })
  @Public()
  @SignupLimited()
  @Post()
  @HttpCode(201)
  async create(
    @Body() body: CreateUserDto,
  ): Promise<{ id: number; email: string; api_key: string }> {
    const { user, apiKey } = await this.users.create(body.email);
    return { id: user.id, email: user.email, api_key: apiKey };
  }
}
