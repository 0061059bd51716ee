import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

export class ListRidesQuery {
  /** Page size, 1..100. Default 20. */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit = 20;

  /** Cursor: only rides with a smaller id (from `next_before` of the previous page). */
  @ApiPropertyOptional({ pattern: '^\\d{1,18}$', description: 'Rides with a smaller id only' })
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'before must be a ride id' })
  before?: string;
}
