import { IsIn } from 'class-validator';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** How an app logs (validated at boot, like the app's own settings). */
export class LoggingConfig {
  /** Lowest level written: `debug` shows every read and every request. */
  @IsIn(LOG_LEVELS) LOG_LEVEL: LogLevelName = 'info';
  /** `json`: one JSON object a line; `pretty`: readable lines; `auto`: pretty in a terminal, JSON otherwise. */
  @IsIn(['auto', 'json', 'pretty']) LOG_FORMAT: 'auto' | 'json' | 'pretty' = 'auto';
}
