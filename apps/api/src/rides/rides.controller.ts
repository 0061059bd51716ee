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
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request, Response } from 'express';
import type { AuthenticatedUser } from '../auth/authenticated-user.interface';
import { WritesFirst } from '../auth/writes-first.decorator';
import { CurrentUser } from '../auth/current-user.decorator';
import { ErrorBody, RidePage, RideResponse } from '../http/openapi.schemas';
import { TokenRoute } from '../http/token-headers.decorator';
import { CreateRideDto } from './create-ride.dto';
import { markReplayed, parseIdempotencyKey, REPLAYED_HEADER } from '../http/idempotency-key.header';
import { ListRidesQuery } from './list-rides.query';
import { presentRide, type RideBody } from './ride.presenter';
import { RidesService } from './rides.service';

const RIDE_ID = /^\d{1,18}$/;
const DECIMAL = /^-?\d{1,15}(\.\d{1,15})?$/;

@ApiTags('rides')
@ApiBearerAuth()
@Controller('rides')
export class RidesController {
  constructor(private readonly rides: RidesService) {}

  /**
   * `distance` as JSON (`{"distance": 12.5}`) or form-encoded (`distance=12.5`), as in the original.
   * An `Idempotency-Key` header makes retries safe (see RidesService.create).
   */
  @ApiOperation({ summary: 'Record a ride (JSON or form-encoded)' })
  @ApiBody({ type: CreateRideDto })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      '1-255 visible ASCII characters, no spaces: a retry with the same key returns the first ride',
  })
  @TokenRoute({
    201: {
      description: 'Recorded, or replayed (`Idempotent-Replayed: true`)',
      type: RideResponse,
      headers: REPLAYED_HEADER,
    },
    400: { description: 'Malformed JSON or Consistency-Token', type: ErrorBody },
    401: { description: 'Missing or unknown API key', type: ErrorBody },
    413: { description: 'Body over BODY_LIMIT', type: ErrorBody },
    415: { description: 'Neither JSON nor a form', type: ErrorBody },
    422: { description: 'Invalid distance or Idempotency-Key', type: ErrorBody },
    503: { description: 'The primary is unavailable (`Retry-After`)', type: ErrorBody },
  })
  @WritesFirst()
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
    markReplayed(res, replayed);
    return presentRide(ride);
  }

  @ApiOperation({ summary: "The caller's rides, newest first, page by page" })
  @TokenRoute({
    200: { description: 'A page', type: RidePage },
    400: { description: 'Malformed Consistency-Token', type: ErrorBody },
    401: { description: 'Missing or unknown API key', type: ErrorBody },
    422: { description: 'Invalid limit or before', type: ErrorBody },
    503: { description: 'No node can serve the read', type: ErrorBody },
  })
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
  @ApiOperation({ summary: "One of the caller's rides" })
  @TokenRoute({
    200: { description: 'The ride', type: RideResponse },
    400: { description: 'Malformed Consistency-Token', type: ErrorBody },
    401: { description: 'Missing or unknown API key', type: ErrorBody },
    404: { description: "Unknown id or another user's ride", type: ErrorBody },
    503: { description: 'No node can serve the read', type: ErrorBody },
  })
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
