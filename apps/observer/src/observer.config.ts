import { DatabaseConfig } from '@app/config';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';

export class ObserverConfig extends DatabaseConfig {
  /** How often every replica's replay position is polled. */
  @Type(() => Number) @IsInt() @Min(50) @Max(60_000) OBSERVER_INTERVAL_MS = 500;
  /** Deadline for one node's answer; a slower node counts as unreachable for that tick. */
  @Type(() => Number) @IsInt() @Min(10) @Max(60_000) OBSERVER_TIMEOUT_MS = 400;
  /** If set, touched after every saved tick: a container healthcheck can test its age. */
  @IsOptional() @IsString() OBSERVER_HEARTBEAT_FILE?: string;
}
