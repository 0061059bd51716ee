import {
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
  UnprocessableEntityException,
} from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request, Response } from 'express';
import type { AuthenticatedUser } from '../auth/authenticated-user.interface';
import { CurrentUser } from '../auth/current-user.decorator';
import { CreateRideDto } from './create-ride.dto';
import { parseIdempotencyKey } from './idempotency';
import { ListRidesQuery } from './list-rides.query';
import { presentRide, type RideBody } from './ride.presenter';
import { RidesService } from './rides.service';

const RIDE_ID = /^\d{1,18}$/;
const DECIMAL = /^-?\d{1,15}(\.\d{1,15})?$/;

@Controller('rides')
export class RidesController {
  constructor(private readonly rides: RidesService) {}

  /**
   * `distance` as JSON (`{"distance": 12.5}`) or form-encoded (`distance=12.5`), as in the original.
   * An `Idempotency-Key` header makes retries safe (see RidesService.create).
   */
  @Post()
  @HttpCode(201)
  async create(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RideBody> {
    const key = parseIdempotencyKey(req.headers['idempotency-key']);
    const input = req.is('application/x-www-form-urlencoded') ? numbersFromForm(body) : body;
    const dto = plainToInstance(
      CreateRideDto,
      typeof input === 'object' && input !== null ? input : {},
    );
    const errors = await validate(dto);
    if (errors.length > 0) {
      throw new UnprocessableEntityException(
        errors.flatMap((e) => Object.values(e.constraints ?? {})).join('; '),
      );
    }
    const { ride, replayed } = await this.rides.create(user.id, dto.distance, key);
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    return presentRide(ride);
  }

  @Get()
  async list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListRidesQuery,
  ): Promise<{ rides: RideBody[]; next_before: number | null }> {
    const rides = await this.rides.list(user.id, query.limit, query.before);
    const last = rides.length === query.limit ? rides[rides.length - 1] : undefined;
    return { rides: rides.map(presentRide), next_before: last?.id ?? null };
  }

  /** Only the caller's own rides: another user's id is a 404, like an unknown one. */
  @Get(':id')
  async get(@CurrentUser() user: AuthenticatedUser, @Param('id') id: string): Promise<RideBody> {
    const ride = RIDE_ID.test(id) ? await this.rides.findOne(user.id, id) : null;
    if (!ride) throw new NotFoundException(`ride ${id.slice(0, 40)} not found`);
    return presentRide(ride);
  }
}

/** Form fields are strings; a decimal string becomes a number, anything else stays as sent (and fails validation). */
function numbersFromForm(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return body;
  return Object.fromEntries(
    Object.entries(body).map(([k, v]) => [
      k,
      typeof v === 'string' && DECIMAL.test(v) ? Number(v) : v,
    ]),
  );
}
