import { LogConfig } from '@app/rides-log';
import { Type } from 'class-transformer';
import { IsInt, IsNumber, Max, Min } from 'class-validator';

export class StreamerConfig extends LogConfig {
  /** HTTP port of /metrics and /health/* (0: any free port). */
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) STREAMER_PORT = 5007;
  /** Events sequenced and published per batch. */
  @Type(() => Number) @IsInt() @Min(1) @Max(10_000) STREAMER_BATCH = 500;
  /** Fallback poll when no NOTIFY wakes it, ms. */
  @Type(() => Number) @IsInt() @Min(10) @Max(60_000) STREAMER_POLL_MS = 1000;
  /** How often it compares the stream with the outbox, trims and deletes old events, ms. */
  @Type(() => Number) @IsInt() @Min(100) @Max(600_000) STREAMER_MAINTENANCE_MS = 5000;
  /** How long published events stay in the outbox at least (never less than every consumer needs), hours. */
  @Type(() => Number) @IsNumber() @Min(0) @Max(87_600) LOG_RETENTION_HOURS = 24;
  /** Failure injection: the share of batches that fail after XADD, before they are marked published (below 1: 1 would never publish). */
  @Type(() => Number) @IsNumber() @Min(0) @Max(0.99) STREAMER_FAIL_RATE = 0;
}
