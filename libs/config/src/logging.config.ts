import type { LogLevel } from '@nestjs/common';
import { IsIn } from 'class-validator';
import PinoPretty from 'pino-pretty';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
export type LogFormat = 'auto' | 'json' | 'pretty';

/** How an app logs (validated at boot, like the app's own settings). */
export class LoggingConfig {
  /** Lowest level written: in the API, `debug` shows every read and every request. */
  @IsIn(LOG_LEVELS) LOG_LEVEL: LogLevelName = 'info';
  /** `json`: one JSON object a line; `pretty`: readable lines; `auto`: pretty in a terminal, JSON otherwise. */
  @IsIn(['auto', 'json', 'pretty']) LOG_FORMAT: LogFormat = 'auto';
}

/** Nest's level list (what the tests and dev tools pass) as the most verbose pino level it allows. */
export function pinoLevel(levels: LogLevel[] | false): LogLevelName {
  if (levels === false || levels.length === 0) return 'silent';
  const order: [LogLevel, LogLevelName][] = [
    ['verbose', 'trace'],
    ['debug', 'debug'],
    ['log', 'info'],
    ['warn', 'warn'],
    ['error', 'error'],
    ['fatal', 'fatal'],
  ];
  return order.find(([nest]) => levels.includes(nest))?.[1] ?? 'silent';
}

/**
 * The readable one-line-per-entry stream for `pretty` (and `auto` in a
 * terminal); undefined for JSON lines. `ignore`: the fields not shown.
 */
export function prettyLogStream(
  format: LogFormat,
  ignore: string,
): PinoPretty.PrettyStream | undefined {
  const pretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY);
  if (!pretty) return undefined;
  return PinoPretty({
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore,
    messageFormat: '{if context}[{context}] {end}{msg}',
  });
}
