import { DatabaseConfig, LOG_LEVELS, type LogFormat, type LogLevelName } from '@app/config';
import { IsIn, IsOptional, Matches, MinLength } from 'class-validator';

/** What the streamer and the consumers share: the databases (as the log's role), Redis, the stream. */
export class LogConfig extends DatabaseConfig {
  /** The unified log's Redis (`redis://[:password@]host:port[/db]`). */
  @Matches(/^rediss?:\/\//, { message: 'must be a redis:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';
  /** The stream's key. */
  @Matches(/^[\w:.-]{1,200}$/) LOG_STREAM = 'rides:log';
  /**
   * The API's TOKEN_SECRET: the streamer signs the tokens it attaches with it,
   * and a consumer's routing library verifies them. Unset: bare positions.
   */
  @IsOptional()
  @MinLength(16, { message: 'must have at least 16 characters' })
  TOKEN_SECRET?: string;
  @IsIn(LOG_LEVELS) LOG_LEVEL: LogLevelName = 'info';
  @IsIn(['auto', 'json', 'pretty']) LOG_FORMAT: LogFormat = 'auto';
  /** Interface of /metrics and /health/*. */
  @Matches(/^[0-9a-fA-F:.]+$|^localhost$/) LOG_HTTP_HOST = '127.0.0.1';
}
