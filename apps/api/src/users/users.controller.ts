import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { Public } from '../auth/public.decorator';
import { CreateUserDto } from './create-user.dto';
import { UsersService } from './users.service';

@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  /** Registers a rider. The API key is in this response only; it is stored as a hash. */
  @Public()
  @Post()
  @HttpCode(201)
  async create(
    @Body() body: CreateUserDto,
  ): Promise<{ id: number; email: string; api_key: string }> {
    const { user, apiKey } = await this.users.create(body.email);
    return { id: user.id, email: user.email, api_key: apiKey };
  }
}
