/**
 * Response shapes for the OpenAPI document (GET /docs): classes with
 * `@ApiProperty` that mirror what the handlers return. Request bodies and
 * queries are documented on their DTOs.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ErrorBody {
  @ApiProperty({ example: 'ride 42 not found' }) error!: string;
}

export class HealthBody {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}

export class HealthCheckBody {
  @ApiProperty({ enum: ['ok', 'error'] }) status!: string;
  @ApiPropertyOptional({ description: 'On 503: why the process is not ready' }) error?: string;
  @ApiProperty({
    description: 'Each check: `{ "status": "up" | "down", "reasons": [...] }`',
    type: 'object',
    additionalProperties: true,
  })
  details!: Record<string, unknown>;
}

export class UserCreatedBody {
  @ApiProperty({ example: 1 }) id!: number;
  @ApiProperty({ example: 'me@example.com' }) email!: string;
  @ApiProperty({ description: 'Shown in this response only (43 characters)' }) api_key!: string;
}

export class RideResponse {
  @ApiProperty({ example: 42 }) id!: number;
  @ApiProperty({ description: 'Kilometres, one decimal', example: 12.3 }) distance!: number;
  @ApiProperty({ example: 1 }) user_id!: number;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class RidePage {
  @ApiProperty({ type: [RideResponse] }) rides!: RideResponse[];
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'Pass as `before` for the next page',
  })
  next_before!: number | null;
}

class QueryCountBody {
  @ApiProperty() total!: number;
  @ApiProperty() routed!: number;
}

export class NodeStatusBody {
  @ApiProperty({ example: 'replica0' }) name!: string;
  @ApiProperty({ enum: ['primary', 'replica'] }) role!: string;
  @ApiProperty({ type: 'string', nullable: true, example: '0/3A41F08' }) lsn!: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) age_ms!: number | null;
  @ApiProperty({ type: 'string', nullable: true, enum: ['observer', 'read'] }) source!:
    string | null;
  @ApiProperty({ type: 'boolean', nullable: true }) reachable!: boolean | null;
  @ApiProperty({ type: 'integer', nullable: true }) lag_bytes!: number | null;
  @ApiProperty({ type: 'number', nullable: true }) lag_seconds!: number | null;
  @ApiProperty() healthy!: boolean;
  @ApiProperty() benched_for_ms!: number;
  @ApiProperty({ type: 'string', nullable: true }) last_error!: string | null;
  @ApiProperty({ type: 'string', nullable: true, description: 'Why a read would not go there now' })
  why_not!: string | null;
  @ApiProperty({ type: QueryCountBody }) queries!: QueryCountBody;
}

export class ReplicasBody {
  @ApiProperty({ type: [NodeStatusBody] }) nodes!: NodeStatusBody[];
}
