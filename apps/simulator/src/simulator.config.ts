import { MAX_TIMER_MS, MAX_TIMER_S } from '@app/config';
import { Transform, Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  Min,
} from 'class-validator';

// require_protocol: fetch needs one; without it `nope` would pass as a host name.
const HTTP_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

export class SimulatorConfig {
  /** The API to drive; default http://127.0.0.1:$API_PORT. */
  @IsOptional() @IsUrl(HTTP_URL) API_URL?: string;
  /**
   * Several API processes to drive instead, comma-separated: each request goes
   * to the next one in turn, so a ride written through one process is read
   * through another (with the Consistency-Token the first one minted).
   * Overrides API_URL. Default: unset.
   */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((url) => url.trim())
          .filter(Boolean)
      : value,
  )
  @ArrayNotEmpty()
  @IsUrl(HTTP_URL, { each: true })
  API_URLS?: string[];
  @Type(() => Number) @IsInt() @Min(1) @Max(65535) API_PORT = 5005;
  /** Concurrent virtual users. */
  @Type(() => Number) @IsInt() @Min(1) @Max(1000) SIM_USERS = 4;
  /** Wait between a ride's write and its read, uniform in [min, max] ms (the original: 0-2000). */
  @Type(() => Number) @IsInt() @Min(0) @Max(MAX_TIMER_MS) SIM_WAIT_MIN_MS = 0;
  @Type(() => Number) @IsInt() @Min(0) @Max(MAX_TIMER_MS) SIM_WAIT_MAX_MS = 2000;
  /** Stop after this many seconds (0: run until SIGINT/SIGTERM). */
  @Type(() => Number) @IsInt() @Min(0) @Max(MAX_TIMER_S) SIM_DURATION_S = 0;
  /** Stop after this many rides in all (0: no limit). */
  @Type(() => Number) @IsInt() @Min(0) SIM_RIDES = 0;
  /** Seconds between summary lines. */
  @Type(() => Number) @IsInt() @Min(1) @Max(MAX_TIMER_S) SIM_REPORT_EVERY_S = 5;
  /** Send each write's Consistency-Token with the read (monotonic reads); without it the API takes the primary's position when it authenticates the rider. */
  @Transform(({ value }: { value: unknown }) =>
    value === 'true' ? true : value === 'false' ? false : value,
  )
  @IsBoolean({ message: "SIM_SEND_TOKEN must be 'true' or 'false'" })
  SIM_SEND_TOKEN = true;
  /**
   * The first this many users send no token (the rest as SIM_SEND_TOKEN
   * says): their reads see their writes through the primary's position the
   * API takes when it authenticates them, checked beside the token reads.
   * At most SIM_USERS.
   */
  @Type(() => Number) @IsInt() @Min(0) @Max(1000) SIM_TOKENLESS_USERS = 0;
  /** How long a failed write (network error, 5xx, or 429, waited out as its Retry-After says) is retried with its Idempotency-Key before it counts as given up. */
  @Type(() => Number) @IsInt() @Min(0) @Max(MAX_TIMER_S) SIM_WRITE_RETRY_S = 30;
  /**
   * Each user rotates its API key after every this many rides (0: never), as
   * a write is retried, then checks that its old key is refused with the
   * rotation's token (a revoked key accepted counts as a stale read).
   */
  @Type(() => Number) @IsInt() @Min(0) SIM_ROTATE_EVERY = 0;
  /**
   * Write every operation (client, op, tokens sent and received, result,
   * node, times) to this file as JSON lines, for the session-guarantee
   * checker (`npm run check:history -- FILE`). Default: unset.
   */
  @IsOptional() @IsString() SIM_HISTORY_FILE?: string;
  /** Per-request timeout. */
  @Type(() => Number) @IsInt() @Min(100) @Max(MAX_TIMER_MS) SIM_REQUEST_TIMEOUT_MS = 5000;

  get apiUrl(): string {
    return (this.API_URL ?? `http://127.0.0.1:${this.API_PORT}`).replace(/\/$/, '');
  }

  /** The APIs to drive in turn: API_URLS, else the one `apiUrl`. */
  get apiUrls(): string[] {
    return this.API_URLS?.length
      ? this.API_URLS.map((url) => url.replace(/\/$/, ''))
      : [this.apiUrl];
  }

  /** Settings that contradict each other. */
  conflicts(): string[] {
    const found: string[] = [];
    if (this.SIM_WAIT_MIN_MS > this.SIM_WAIT_MAX_MS)
      found.push(
        `SIM_WAIT_MIN_MS (${this.SIM_WAIT_MIN_MS}) is above SIM_WAIT_MAX_MS (${this.SIM_WAIT_MAX_MS})`,
      );
    if (this.SIM_TOKENLESS_USERS > this.SIM_USERS)
      found.push(
        `SIM_TOKENLESS_USERS (${this.SIM_TOKENLESS_USERS}) is above SIM_USERS (${this.SIM_USERS})`,
      );
    return found;
  }

  /** True when the run ends by itself, and so exits non-zero on any stale read or error. */
  get bounded(): boolean {
    return this.SIM_DURATION_S > 0 || this.SIM_RIDES > 0;
  }
}
