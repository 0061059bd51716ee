import { MAX_TIMER_S } from '@app/config';
import { LogConfig } from '@app/rides-log';
import { Type } from 'class-transformer';
import { IsInt, IsNumber, Matches, Max, Min } from 'class-validator';

export class ConsumerConfig extends LogConfig {
  /** This consumer's name: its row in consumer_states (`consumer0`, `consumer1`). Required. */
  @Matches(/^[a-z0-9_-]{1,64}$/, { message: 'must be set, like consumer0 (a-z, 0-9, _ and -)' })
  CONSUMER_NAME = '';
  /** HTTP port of /metrics and /health/* (0: any free port). */
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) CONSUMER_PORT = 5008;
  /** Entries applied per transaction at most. */
  @Type(() => Number) @IsInt() @Min(1) @Max(10_000) CONSUMER_BATCH = 500;
  /** How long one XREAD waits for entries, ms. */
  @Type(() => Number) @IsInt() @Min(10) @Max(60_000) CONSUMER_BLOCK_MS = 1000;
  /**
   * How long a read-back may wait for a replica to replay the batch's token
   * before it goes to the primary (the routing library's `replicaWaitMs`).
   */
  @Type(() => Number) @IsInt() @Min(0) @Max(5000) CONSUMER_REPLICA_WAIT_MS = 50;
  /** Seconds between the summary lines (total, count, lag). */
  @Type(() => Number) @IsInt() @Min(1) @Max(MAX_TIMER_S) CONSUMER_REPORT_EVERY_S = 10;
  /** Failure injection: the share of batches that fail after computing, before commit. */
  @Type(() => Number) @IsNumber() @Min(0) @Max(0.99) CONSUMER_FAIL_RATE = 0;
}
