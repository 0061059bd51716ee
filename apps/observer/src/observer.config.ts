import { DatabaseConfig, LOG_LEVELS, type LogFormat, type LogLevelName } from '@app/config';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export class ObserverConfig extends DatabaseConfig {
  /** How often every replica's replay position is polled. */
  @Type(() => Number) @IsInt() @Min(50) @Max(60_000) OBSERVER_INTERVAL_MS = 500;
  /** Deadline for one node's answer; a slower node counts as unreachable for that tick. */
  @Type(() => Number) @IsInt() @Min(10) @Max(60_000) OBSERVER_TIMEOUT_MS = 400;
  /** If set, touched after every saved tick: a container healthcheck can test its age. */
  @IsOptional() @IsString() OBSERVER_HEARTBEAT_FILE?: string;
  /** HTTP port of /metrics and /health/* (0: any free port, as the in-process dev tools use). */
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) OBSERVER_PORT = 5006;
  /** Interface to listen on. */
  @Matches(/^[0-9a-fA-F:.]+$|^localhost$/) OBSERVER_HOST = '127.0.0.1';
  /** Lowest level logged. */
  @IsIn(LOG_LEVELS) LOG_LEVEL: LogLevelName = 'info';
  /** `json`, `pretty`, or `auto` (pretty in a terminal). */
  @IsIn(['auto', 'json', 'pretty']) LOG_FORMAT: LogFormat = 'auto';
}
