import { ApiProperty } from '@nestjs/swagger';
import { IsNumber, Max, Min } from 'class-validator';

export const MAX_DISTANCE = 100_000;

export class CreateRideDto {
  /** Kilometres; rounded to one decimal. */
  @ApiProperty({ minimum: 0, maximum: MAX_DISTANCE, example: 12.5, description: 'Kilometres' })
  @IsNumber(
    { allowNaN: false, allowInfinity: false },
    { message: 'distance must be a finite number' },
  )
  @Min(0, { message: 'distance must not be negative' })
  @Max(MAX_DISTANCE, { message: `distance must be at most ${MAX_DISTANCE}` })
  distance!: number;
}
